/**
 * Checks one line of a `.sft.jsonl` file: JSON, record structure, then (with a template and a
 * tokenizer) rendering, the trained-token mask and length. Pure: the same line and context
 * always give the same result, which is what lets the editor re-check only the lines that change.
 */
import { parseJson } from './json/parseJson';
import { prepareRecord, recordSpan, renderRecord, type ExampleContext } from './example';
import { interpretRecord, type DatasetRecord, type RecordFormat } from './records';
import type { LineFinding } from './rules';
import { findControlTokens } from './checks/controlTokens';
import { findForeignTokens } from './checks/foreignTokens';
import { attachLineFixes } from './fixes';

/** Everything a line is checked against: the same context training prepares examples with. */
export type CheckContext = ExampleContext;

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
  /** A `text` record that starts with BOS while the tokenizer adds one too. */
  doubleBos?: boolean;
  /** The line holds only white space. */
  blank?: boolean;
}

export function checkLine(text: string, context: CheckContext): LineResult {
  if (text.trim().length === 0) {
    return {
      blank: true,
      findings: [{ code: 'line/blank', start: 0, end: text.length, message: 'Blank line: remove it, every line must hold one JSON example', fixes: [{ title: 'Delete the blank line', kind: 'delete-line' }] }],
    };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { code, message, start, end } = parsed.error;
    return { findings: [{ code, message, start, end: Math.max(end, start) }] };
  }
  const interpreted = interpretRecord(parsed.value);
  const findings = interpreted.findings;
  attachLineFixes(text, interpreted.record, findings);
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

/** Template, mask and length checks on a structurally sound record, through the training seam. */
function checkRendered(line: string, record: DatasetRecord, context: CheckContext, result: LineResult): void {
  const { template, tokenizer } = context;
  const prepared = tokenizer ? prepareRecord(record, context) : undefined;
  const rendered = prepared ? prepared.rendered : renderRecord(record, context);
  if (!rendered) return;
  result.findings.push(...(prepared ? prepared.findings : rendered.findings));
  if (rendered.text.length === 0) return;
  const known = tokenizer?.specialTokens ?? template?.info.specialTokens;
  if (record.kind === 'text' && known) result.findings.push(...findForeignTokens(line, record.text, known, record.textSpan, !tokenizer));
  if (record.kind === 'chat') result.findings.push(...findControlTokens(line, record.messages, context));
  // Chat records are rendered and tokenized without added special tokens, by TRL and by our
  // trainer alike; only text records get the tokenizer's BOS on top of their own.
  const bos = tokenizer?.bosToken;
  if (record.kind === 'text' && tokenizer?.addsBos && bos && record.text.startsWith(bos)) result.doubleBos = true;
  if (tokenizer?.eosToken) result.rendersEos = rendered.text.includes(tokenizer.eosToken);
  if (prepared?.ok) {
    result.tokens = prepared.totalTokens;
    result.trainedTokens = prepared.trainedTokens + prepared.trainedCut;
  } else if (prepared?.totalTokens !== undefined) {
    result.tokens = prepared.totalTokens;
    result.trainedTokens = prepared.totalTrained ?? 0;
  }
  if (!tokenizer && rendered.spans.every((s) => s.end <= s.start)) {
    result.findings.push({ code: 'mask/empty', ...recordSpan(record), message: 'No text of this example is trained: every reply is masked out' });
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
