/**
 * Checks one line of a `.sft.jsonl` file: JSON, record structure, then (with a template and a
 * tokenizer) rendering, the trained-token mask and length. Pure: the same line and context
 * always give the same result, which is what lets the editor re-check only the lines that change.
 */
import { parseJson } from './json/parseJson';
import { markTrainedTokens, renderExample, type RenderedExample } from './mask';
import { interpretRecord, type DatasetRecord, type RecordFormat } from './records';
import type { LineFinding } from './rules';
import type { ChatTemplate } from './template';
import type { TextTokenizer } from './tokens';
import { findForeignTokens } from './checks/foreignTokens';

/** Everything a line is checked against; built once per file from the project file and flags. */
export interface CheckContext {
  template?: ChatTemplate;
  tokenizer?: TextTokenizer;
  /** Examples longer than this many tokens are truncated by the trainer. */
  maxLength: number;
}

/** Facts about a line that file-level findings are built from. */
export interface LineResult {
  format?: RecordFormat;
  findings: LineFinding[];
  /** Identity of the example for duplicate detection; absent for blank and broken lines. */
  hash?: number;
  /** Token counts, when a tokenizer was available. */
  tokens?: number;
  trainedTokens?: number;
  /** The rendered text contains the tokenizer's eos_token. */
  rendersEos?: boolean;
  /** The rendered text starts with BOS while the tokenizer adds one too. */
  doubleBos?: boolean;
}

export function checkLine(text: string, context: CheckContext): LineResult {
  if (text.trim().length === 0) {
    return { findings: [{ code: 'line/blank', start: 0, end: text.length, message: 'Blank line: remove it, every line must hold one JSON example' }] };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { code, message, start, end } = parsed.error;
    return { findings: [{ code, message, start, end: Math.max(end, start) }] };
  }
  const interpreted = interpretRecord(parsed.value);
  const findings = interpreted.findings;
  for (const duplicate of parsed.duplicateKeys) {
    findings.push({
      code: 'json/duplicate-key', start: duplicate.keySpan.start, end: duplicate.keySpan.end,
      message: `Key ${JSON.stringify(duplicate.key)} appears twice in this object; trainers keep only the last value`,
    });
  }
  const result: LineResult = { findings, hash: hashString(text.trim()) };
  if (interpreted.format) result.format = interpreted.format;
  // With nothing to learn already reported, an empty mask would only say it twice.
  if (interpreted.record && !findings.some((f) => f.code === 'messages/no-assistant' || f.code === 'text/empty')) {
    checkRendered(text, interpreted.record, context, result);
  }
  return result;
}

/** Template, mask and length checks on a structurally sound record. */
function checkRendered(line: string, record: DatasetRecord, context: CheckContext, result: LineResult): void {
  const { template, tokenizer } = context;
  const eosToken = template?.info.eosToken ?? tokenizer?.eosToken;
  const rendered = renderExample(record, { ...(template ? { template } : {}), ...(eosToken ? { eosToken } : {}) });
  if (!rendered) return;
  result.findings.push(...rendered.findings);
  if (rendered.text.length === 0) return;
  const known = tokenizer?.specialTokens ?? template?.info.specialTokens;
  if (record.kind === 'text' && known) result.findings.push(...findForeignTokens(line, record.text, known, record.textSpan));
  const bos = tokenizer?.bosToken ?? template?.info.bosToken;
  if (tokenizer?.addsBos && bos && rendered.text.startsWith(bos)) result.doubleBos = true;
  if (tokenizer?.eosToken) result.rendersEos = rendered.text.includes(tokenizer.eosToken);
  if (!tokenizer) {
    if (rendered.spans.every((s) => s.end <= s.start)) {
      result.findings.push({ code: 'mask/empty', ...recordSpan(record), message: 'No text of this example is trained: every reply is masked out' });
    }
    return;
  }
  checkTokens(record, rendered, tokenizer, context.maxLength, result);
}

function checkTokens(record: DatasetRecord, rendered: RenderedExample, tokenizer: TextTokenizer, maxLength: number, result: LineResult): void {
  const encoded = tokenizer.encodeWithOffsets(rendered.text);
  const trained = markTrainedTokens(encoded, rendered.spans);
  let trainedCount = 0;
  let trainedCut = 0;
  for (let i = 0; i < trained.length; i++) {
    if (trained[i]) {
      trainedCount++;
      if (i >= maxLength) trainedCut++;
    }
  }
  result.tokens = encoded.ids.length;
  result.trainedTokens = trainedCount;
  if (trainedCount === 0) {
    result.findings.push({
      code: 'mask/empty', ...recordSpan(record),
      message: 'No token of this example is trained: the assistant-only loss mask comes out empty (training would see "all labels are -100")',
    });
    return;
  }
  if (encoded.ids.length <= maxLength) return;
  const cutAt = encoded.offsets[2 * maxLength] ?? rendered.text.length;
  const where = spanAtRenderedOffset(record, rendered, cutAt);
  if (trainedCut > 0) {
    result.findings.push({
      code: 'length/truncated', ...where,
      message: `${encoded.ids.length} tokens, over max_length ${maxLength}: truncation cuts ${trainedCut} of ${trainedCount} trained tokens${trainedCut === trainedCount ? ' (all of them)' : ''}. Shorten the example, split it, or raise max_length`,
    });
  } else {
    result.findings.push({
      code: 'length/over-max', ...where,
      message: `${encoded.ids.length} tokens, over max_length ${maxLength}: only untrained tokens are cut`,
    });
  }
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

function recordSpan(record: DatasetRecord): { start: number; end: number } {
  switch (record.kind) {
    case 'chat': return { start: record.messages[0]!.span.start, end: record.messages[record.messages.length - 1]!.span.end };
    case 'text': return record.textSpan;
    case 'completion': return record.completionSpan;
  }
}

/** cyrb53: a fast 53-bit string hash; collisions among a million lines are vanishingly rare. */
function hashString(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
