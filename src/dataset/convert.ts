/**
 * Rewrites ShareGPT and Alpaca records as TRL `messages` records. Every other line, and every
 * key of a converted record that is not part of its old format, is kept as it was.
 */
import { parseJson, toPlainValue } from './json/parseJson';
import { interpretRecord } from './records';
import { RULES, type LineFinding } from './rules';

export type LineConversion =
  | { kind: 'converted'; from: 'sharegpt' | 'alpaca'; text: string }
  | { kind: 'unchanged' }
  | { kind: 'failed'; findings: LineFinding[] };

const OLD_FORMAT_KEYS: Record<'sharegpt' | 'alpaca', readonly string[]> = {
  sharegpt: ['conversations', 'system'],
  alpaca: ['instruction', 'input', 'output', 'system', 'history'],
};

export function convertLine(text: string): LineConversion {
  if (text.trim().length === 0) return { kind: 'unchanged' };
  const parsed = parseJson(text);
  if (!parsed.ok) return { kind: 'unchanged' };
  const { format, record, findings } = interpretRecord(parsed.value);
  if (format !== 'sharegpt' && format !== 'alpaca') return { kind: 'unchanged' };
  const errors = findings.filter((f) => RULES[f.code].severity === 'error');
  if (!record || record.kind !== 'chat' || errors.length > 0 || parsed.value.kind !== 'object') {
    return { kind: 'failed', findings: errors.length > 0 ? errors : findings };
  }
  const converted: Record<string, unknown> = { messages: record.messages.map((m) => ({ role: m.role, content: m.content })) };
  for (const member of parsed.value.members) {
    if (OLD_FORMAT_KEYS[format].includes(member.key) || member.key === 'messages') continue;
    converted[member.key] = toPlainValue(member.value);
  }
  return { kind: 'converted', from: format, text: JSON.stringify(converted) };
}
