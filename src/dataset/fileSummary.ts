/**
 * File-level facts folded from line results, and the findings that are reported once per file
 * (an empty file, mixed formats, double BOS in text records, generation that would not stop).
 * The CLI folds lines as it streams; the editor's document model adds and removes lines as they
 * change. Both build their file-level findings here, so the two report exactly the same.
 */
import type { CheckContext, LineResult } from './checkLine';
import { probeTemplate } from './checks/templateProbe';
import type { RecordFormat } from './records';
import type { LineFinding } from './rules';

/** Where a line is; the editor's document keeps `index` current as lines move. */
export interface LineHolder {
  readonly index: number;
}

/** How many line numbers a file-level finding names. */
const LINES_NAMED = 5;

/** A count with up to {@link LINES_NAMED} of the lines it counts, to name in messages. */
class CountedLines {
  count = 0;
  private readonly examples = new Set<LineHolder>();

  update(holder: LineHolder, sign: 1 | -1): void {
    this.count += sign;
    if (sign < 0) this.examples.delete(holder);
    else if (this.examples.size < LINES_NAMED) this.examples.add(holder);
  }

  /** "lines 3, 7 and 9", 1-based, with "and N more" past the named ones. */
  describe(): string {
    const lines = [...this.examples].map((h) => h.index + 1).sort((a, b) => a - b);
    const more = this.count - lines.length;
    const named = lines.length === 1 && more === 0 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
    return more > 0 ? `${named} and ${more} more` : named;
  }
}

export class FileSummary {
  /** Lines per format. */
  readonly formats = new Map<RecordFormat, CountedLines>();
  /** Lines with any text: a file without one holds no example. */
  nonBlankLines = 0;
  /** Lines tokenized after rendering, and how many of them contain the eos_token. */
  tokenizedLines = 0;
  linesWithEos = 0;
  readonly doubleBos = new CountedLines();

  add(result: LineResult, holder: LineHolder, sign: 1 | -1 = 1): void {
    if (!result.blank) this.nonBlankLines += sign;
    if (result.format) {
      let lines = this.formats.get(result.format);
      if (!lines) this.formats.set(result.format, lines = new CountedLines());
      lines.update(holder, sign);
    }
    if (result.rendersEos !== undefined) {
      this.tokenizedLines += sign;
      if (result.rendersEos) this.linesWithEos += sign;
    }
    if (result.doubleBos) this.doubleBos.update(holder, sign);
  }

  remove(result: LineResult, holder: LineHolder): void {
    this.add(result, holder, -1);
  }
}

/** File-level findings from the summary and the check context. */
export function fileLevelFindings(summary: FileSummary, context: CheckContext, setupNotes: readonly LineFinding[]): LineFinding[] {
  const findings: LineFinding[] = [...setupNotes];
  if (summary.nonBlankLines === 0) {
    findings.push({ code: 'file/empty', start: 0, end: 0, message: 'The file holds no example, so training cannot start on it: write one JSON example per line' });
  }
  const mixed = mixedFormatsFinding(summary);
  if (mixed) findings.push(mixed);
  const tokenizer = context.tokenizer;
  if (summary.doubleBos.count > 0 && tokenizer?.bosToken) {
    findings.push({
      code: 'tokens/double-bos', start: 0, end: 0,
      message: `${summary.doubleBos.describe()}: "text" starts with ${tokenizer.bosToken}, and TRL tokenizes text records with add_special_tokens=True, which puts another ${tokenizer.bosToken} in front (double BOS). Remove ${tokenizer.bosToken} from the start of the text`,
    });
  }
  const eos = eosFinding(summary, context);
  if (eos) findings.push(eos);
  return findings;
}

/**
 * TRL decides a file's format from its first row, so other rows train without EOS or crash the
 * run; Together and OpenAI reject such files. ShareGPT and Alpaca rows are conversations that
 * `sft-studio convert` rewrites as `messages`, so the advice for them is always to convert.
 */
function mixedFormatsFinding(summary: FileSummary): LineFinding | undefined {
  const formats = [...summary.formats].filter(([, lines]) => lines.count > 0).sort((a, b) => b[1].count - a[1].count);
  if (formats.length < 2) return undefined;
  const counts = formats.map(([format, lines]) => `${lines.count} ${format}`).join(', ');
  const convertible = (format: RecordFormat): boolean => format === 'sharegpt' || format === 'alpaca';
  if (formats.every(([format]) => format === 'messages' || convertible(format))) {
    return {
      code: 'format/mixed', start: 0, end: 0,
      message: `The file mixes record formats (${counts}); trainers read one format per file. Rewrite the ShareGPT and Alpaca lines as "messages" with \`sft-studio convert FILE --out NEW\``,
    };
  }
  const [main] = formats[0]!;
  const minority = formats.slice(1).map(([format, lines]) => `${format} on ${lines.describe()}`).join('; ');
  return {
    code: 'format/mixed', start: 0, end: 0,
    message: `The file mixes record formats (${counts}); TRL decides the format from the first line, so the others train without EOS or stop the run. Rewrite as ${main}, or move to a file of their own: ${minority}`,
  };
}

/**
 * The examples never contain the tokenizer's eos_token, so generation stops only if the model's
 * generation_config.json lists the template's end-of-turn token among its eos_token_id (the first
 * Llama 3 Instruct release did exactly that). Quiet when it does; otherwise says what to set.
 */
function eosFinding(summary: FileSummary, context: CheckContext): LineFinding | undefined {
  const { tokenizer, template } = context;
  if (!tokenizer?.eosToken || !template || summary.tokenizedLines === 0 || summary.linesWithEos > 0) return undefined;
  const turnEnd = probeTemplate(template).turnEnd;
  const turnEndId = turnEnd === undefined ? undefined : tokenizer.tokenId(turnEnd);
  // An end of turn that is not a token is the template-tokenizer mismatch, reported on its own.
  if (turnEnd !== undefined && turnEndId === undefined) return undefined;
  const stopIds = context.generationStopIds ?? [];
  if (turnEndId !== undefined && stopIds.includes(turnEndId)) return undefined;
  let fix = 'make generation stop on the template\'s end-of-turn token (generation_config.json "eos_token_id"), or set "eos_token" to it in tokenizer_config.json';
  if (turnEnd !== undefined && turnEndId !== undefined) {
    // What generation stops on today (generation_config.json, else the eos_token), plus the end of turn.
    const eosId = tokenizer.tokenId(tokenizer.eosToken);
    const current = stopIds.length > 0 ? stopIds : eosId === undefined ? [] : [eosId];
    const suggested = [...new Set([...current, turnEndId])];
    fix = `add ${turnEndId} (${turnEnd}) to "eos_token_id" in the model folder's generation_config.json, as in {"eos_token_id": [${suggested.join(', ')}]}, or set "eos_token" to ${turnEnd} in tokenizer_config.json`;
  }
  return {
    code: 'template/eos-never-rendered', start: 0, end: 0,
    message: `The tokenizer's eos_token ${tokenizer.eosToken} never appears in the rendered examples${turnEnd ? `, which end each reply with ${turnEnd}` : ''}, and generation stops only on eos_token_id, so the trained model would not stop after its reply: ${fix}`,
  };
}

/** The finding on a line that repeats an earlier one exactly. */
export function duplicateFinding(lineText: string, firstLine: number): LineFinding {
  const start = lineText.length - lineText.trimStart().length;
  return {
    code: 'duplicate/example', start, end: lineText.trimEnd().length,
    message: `Exact duplicate of line ${firstLine + 1}: duplicates over-weight one example; remove this copy`,
    related: { line: firstLine, message: 'first occurrence' },
    fixes: [{ title: 'Delete this duplicate line', kind: 'delete-line' }],
  };
}
