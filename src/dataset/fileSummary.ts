/**
 * File-level facts folded from line results, and the findings that are reported once per file
 * (mixed formats, double BOS, an eos_token the template never writes). The CLI folds lines as it
 * streams; the editor's document model adds and removes lines as they change. Both build their
 * file-level findings here, so the two report exactly the same.
 */
import type { LineResult } from './checkLine';
import type { RecordFormat } from './records';
import type { LineFinding } from './rules';
import type { CheckContext } from './checkLine';

export class FileSummary {
  /** Lines per format. */
  readonly formatCounts = new Map<RecordFormat, number>();
  /** Lines tokenized after rendering, and how many of them contain the eos_token. */
  tokenizedLines = 0;
  linesWithEos = 0;
  doubleBosLines = 0;

  add(result: LineResult, sign: 1 | -1 = 1): void {
    if (result.format) this.formatCounts.set(result.format, (this.formatCounts.get(result.format) ?? 0) + sign);
    if (result.rendersEos !== undefined) {
      this.tokenizedLines += sign;
      if (result.rendersEos) this.linesWithEos += sign;
    }
    if (result.doubleBos) this.doubleBosLines += sign;
  }

  remove(result: LineResult): void {
    this.add(result, -1);
  }
}

/** File-level findings from the summary and the check context. */
export function fileLevelFindings(summary: FileSummary, context: CheckContext, setupNotes: readonly LineFinding[]): LineFinding[] {
  const findings: LineFinding[] = [...setupNotes];
  const formats = [...summary.formatCounts].filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
  if (formats.length > 1) {
    const list = formats.map(([format, count]) => `${count} ${format}`).join(', ');
    findings.push({ code: 'format/mixed', start: 0, end: 0, message: `The file mixes record formats (${list}); trainers expect one format per file: convert the others to ${formats[0]![0]}` });
  }
  const tokenizer = context.tokenizer;
  if (summary.doubleBosLines > 0 && tokenizer?.bosToken) {
    findings.push({
      code: 'tokens/double-bos', start: 0, end: 0,
      message: `Double BOS in ${summary.doubleBosLines} example(s): the chat template already writes ${tokenizer.bosToken} and the tokenizer adds another when called with add_special_tokens=True. Tokenize rendered text with add_special_tokens=False (SFT Studio's trainer does), or remove bos_token from the template`,
    });
  }
  if (summary.tokenizedLines > 0 && summary.linesWithEos === 0 && tokenizer?.eosToken && context.template) {
    findings.push({
      code: 'template/eos-never-rendered', start: 0, end: 0,
      message: `The tokenizer's eos_token ${tokenizer.eosToken} never appears in the rendered examples, so the model is not trained to produce it: make sure generation stops on the template's end-of-turn token (generation_config.json eos_token_id), or set eos_token to it`,
    });
  }
  return findings;
}

/** The finding on a line that repeats an earlier one exactly. */
export function duplicateFinding(lineText: string, firstLine: number): LineFinding {
  const start = lineText.length - lineText.trimStart().length;
  return {
    code: 'duplicate/example', start, end: lineText.trimEnd().length,
    message: `Exact duplicate of line ${firstLine + 1}: duplicates over-weight one example; remove this copy`,
    related: { line: firstLine, message: 'first occurrence' },
  };
}
