/**
 * The one seam from a dataset line to what is trained: render the record with the chat template,
 * encode the whole rendered text with the real tokenizer, mark the tokens inside the trained
 * spans, and cut at `max_length`. The checker (`checkLine`), `sft-studio render`, the editor and the
 * trainer all call this module, so what the editor shows is exactly what training learns from.
 *
 * Label convention (the trainer's, as in TRL and transformers): position t of `ids` predicts
 * token t + 1, so the loss at t counts only when `trained[t + 1]` is 1; every other position is
 * ignored, as TRL's label -100. The first token is never a target. The rendered text is encoded
 * without adding special tokens, because the template writes BOS itself (TRL does the same).
 */
import { parseJson } from './json/parseJson';
import { markTrainedTokens, renderExample, type RenderedExample } from './mask';
import { interpretRecord, type DatasetRecord } from './records';
import { RULES, type LineFinding } from './rules';
import type { ChatTemplate } from './template';
import type { TextTokenizer } from './tokens';

/** What an example is prepared against: built once per file from the project file and flags. */
export interface ExampleContext {
  template?: ChatTemplate;
  tokenizer?: TextTokenizer;
  /** Examples longer than this many tokens are truncated, keeping the first `maxLength`. */
  maxLength: number;
  /** False trains every token, as TRL does without `assistant_only_loss`; default true. */
  assistantOnly?: boolean;
  /** The ids generation stops on, from the model folder's generation_config.json `eos_token_id`. */
  generationStopIds?: readonly number[];
}

/** An example ready to train on. */
export interface TokenizedExample {
  ok: true;
  rendered: RenderedExample;
  /** Token ids, at most `maxLength` of them. */
  ids: number[];
  /** 1 where the token is trained, aligned with `ids`. */
  trained: Uint8Array;
  /** UTF-16 start and end of token i in `rendered.text` at [2i] and [2i+1]. */
  offsets: Int32Array;
  /** The token count before truncation, when the example was longer than `maxLength`. */
  truncatedFrom?: number;
  /** Where truncation cuts `rendered.text` (a UTF-16 offset), when it does. */
  cutAt?: number;
  /** The token count of the whole rendered example, before truncation. */
  totalTokens: number;
  /** Trained tokens kept, and trained tokens cut by truncation. */
  trainedTokens: number;
  trainedCut: number;
  /** Findings that do not stop the example from training (history rewritten, cut prompt...). */
  findings: LineFinding[];
}

/** An example that cannot train, with the findings that say why. */
export interface UnusableExample {
  ok: false;
  findings: LineFinding[];
  rendered?: RenderedExample;
  /** Token counts of the whole rendered example, when it got as far as the tokenizer. */
  totalTokens?: number;
  totalTrained?: number;
}

export type PreparedExample = TokenizedExample | UnusableExample;

/** Findings that leave an example with nothing to train on. */
const UNUSABLE = new Set(['template/raised', 'template/limit', 'mask/empty']);

/**
 * Renders a record as training does: the chat template for conversations, EOS appended to text
 * and string completions. Undefined when a chat record has no template to render it with.
 */
export function renderRecord(record: DatasetRecord, context: Pick<ExampleContext, 'template' | 'tokenizer'>): RenderedExample | undefined {
  const { template, tokenizer } = context;
  const eosToken = template?.info.eosToken ?? tokenizer?.eosToken;
  return renderExample(record, { ...(template ? { template } : {}), ...(eosToken ? { eosToken } : {}) });
}

/** Renders, encodes, marks and truncates one record. Needs `context.tokenizer`. */
export function prepareRecord(record: DatasetRecord, context: ExampleContext): PreparedExample {
  const rendered = renderRecord(record, context);
  if (!rendered) {
    return { ok: false, findings: [{ code: 'template/missing', ...recordSpan(record), message: 'A chat example needs a chat template: set "template" in sft-studio.json, or use a model folder that has one' }] };
  }
  const findings = [...rendered.findings];
  if (findings.some((f) => UNUSABLE.has(f.code)) || rendered.text.length === 0) return { ok: false, findings, rendered };
  const tokenizer = context.tokenizer;
  if (!tokenizer) throw new Error('prepareRecord needs a tokenizer');
  const encoded = tokenizer.encodeWithOffsets(rendered.text);
  const trainedAll = context.assistantOnly === false ? new Uint8Array(encoded.ids.length).fill(1) : markTrainedTokens(encoded, rendered.spans);
  const total = encoded.ids.length;
  const kept = Math.min(total, context.maxLength);
  let trainedTokens = 0;
  let trainedCut = 0;
  for (let i = 0; i < total; i++) {
    if (trainedAll[i]) {
      if (i < kept) trainedTokens++;
      else trainedCut++;
    }
  }
  if (trainedTokens + trainedCut === 0) {
    findings.push({
      code: 'mask/empty', ...recordSpan(record),
      message: 'No token of this example is trained: the assistant-only loss mask comes out empty (training would see "all labels are -100")',
    });
    return { ok: false, findings, rendered, totalTokens: total, totalTrained: 0 };
  }
  if (total > kept) {
    const cutAt = encoded.offsets[2 * kept] ?? rendered.text.length;
    const where = spanAtRenderedOffset(record, rendered, cutAt);
    const all = trainedCut === trainedTokens + trainedCut;
    const over = `${total} tokens, over max_length ${context.maxLength}`;
    findings.push(all
      ? { code: 'length/truncated-all', ...where, message: `${over}: truncation cuts all ${trainedCut} trained tokens, so this example trains nothing. Shorten the prompt, split the example, or raise max_length` }
      : trainedCut > 0
        ? { code: 'length/truncated', ...where, message: `${over}: truncation cuts ${trainedCut} of ${trainedTokens + trainedCut} trained tokens. Shorten the example, split it, or raise max_length` }
        : { code: 'length/over-max', ...where, message: `${over}: only untrained tokens are cut` });
    if (all) return { ok: false, findings, rendered, totalTokens: total, totalTrained: trainedCut };
  }
  // Copies only when truncating: the checker runs this on every line of large files.
  const cut = total > kept;
  const example: TokenizedExample = {
    ok: true, rendered, totalTokens: total, trainedTokens, trainedCut, findings,
    ids: cut ? encoded.ids.slice(0, kept) : encoded.ids,
    trained: cut ? trainedAll.slice(0, kept) : trainedAll,
    offsets: cut ? encoded.offsets.slice(0, 2 * kept) : encoded.offsets,
  };
  if (total > kept) {
    example.truncatedFrom = total;
    example.cutAt = encoded.offsets[2 * kept] ?? rendered.text.length;
  }
  return example;
}

/**
 * Parses one line and prepares it for training; the findings say why a line cannot train. Lines
 * with a structural error (by the rule's default severity) are unusable.
 */
export function prepareLine(text: string, context: ExampleContext): PreparedExample {
  const read = readTrainableRecord(text);
  return read.ok ? prepareRecord(read.record, context) : read;
}

/** The record of a line that has no structural error, or the findings that keep it from training. */
export function readTrainableRecord(text: string): { ok: true; record: DatasetRecord } | { ok: false; findings: LineFinding[] } {
  if (text.trim().length === 0) return { ok: false, findings: [{ code: 'line/blank', start: 0, end: text.length, message: 'Blank line' }] };
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { code, message, start, end } = parsed.error;
    return { ok: false, findings: [{ code, message, start, end: Math.max(end, start) }] };
  }
  const interpreted = interpretRecord(parsed.value);
  // A line the checker marks with a structural error is not trained, even where it renders.
  const errors = interpreted.findings.filter((f) => RULES[f.code].severity === 'error');
  if (!interpreted.record || errors.length > 0) return { ok: false, findings: errors.length > 0 ? errors : interpreted.findings };
  return { ok: true, record: interpreted.record };
}

/** The tightest record range for a position in the rendered text: the message content holding it. */
function spanAtRenderedOffset(record: DatasetRecord, rendered: RenderedExample, offset: number): { start: number; end: number } {
  if (record.kind === 'chat') {
    const holder = rendered.contentAt.find((c) => c.start <= offset && offset < c.end)
      ?? rendered.contentAt.find((c) => c.start >= offset);
    if (holder) return record.messages[holder.message]!.contentSpan;
  }
  return recordSpan(record);
}

/** The span of the whole record's trained material, for findings about the example as a whole. */
export function recordSpan(record: DatasetRecord): { start: number; end: number } {
  switch (record.kind) {
    case 'chat': return { start: record.messages[0]!.span.start, end: record.messages[record.messages.length - 1]!.span.end };
    case 'text': return record.textSpan;
    case 'completion': return record.completionSpan;
  }
}
