/**
 * Hover text for the keys and role values of a dataset line, taken from the record schema that
 * ships with the extension (`schemas/sft-record.schema.json`), so the editor's hover, its JSON
 * validation and its completion all say the same thing.
 */
import recordSchema from '../../schemas/sft-record.schema.json';
import { parseJson, type JsonNode, type JsonSpan } from './json/parseJson';

interface SchemaProperty {
  description?: string;
  enum?: readonly unknown[];
  enumDescriptions?: readonly string[];
}

const MESSAGE_PROPERTIES = recordSchema.$defs.message.properties as Record<string, SchemaProperty>;
/** Top-level keys of every record format the schema describes. */
const RECORD_PROPERTIES: Record<string, SchemaProperty> = Object.assign({}, ...recordSchema.oneOf.map((branch) => branch.properties as Record<string, SchemaProperty>));
/** Keys that hold message lists. */
const MESSAGE_LISTS = new Set(['messages', 'prompt', 'completion']);

/** What the cursor is on in a line: a key, or a value, with the keys and indexes leading to it. */
export interface JsonLocation {
  path: (string | number)[];
  span: JsonSpan;
  onKey: boolean;
  node?: JsonNode;
}

/** The innermost key or scalar value at `column`, or undefined outside any (or on a broken line). */
export function locateInLine(line: string, column: number): JsonLocation | undefined {
  const parsed = parseJson(line);
  if (!parsed.ok) return undefined;
  let node: JsonNode = parsed.value;
  const path: (string | number)[] = [];
  const inside = (span: JsonSpan): boolean => span.start <= column && column < span.end;
  for (;;) {
    if (node.kind === 'object') {
      const member = node.members.find((m) => inside(m.keySpan) || inside(m.value));
      if (!member) return undefined;
      path.push(member.key);
      if (inside(member.keySpan)) return { path, span: member.keySpan, onKey: true };
      node = member.value;
    } else if (node.kind === 'array') {
      const index = node.items.findIndex(inside);
      if (index < 0) return undefined;
      path.push(index);
      node = node.items[index]!;
    } else {
      return { path, span: { start: node.start, end: node.end }, onKey: false, node };
    }
  }
}

/** Markdown describing the key or role value at `column`, with the range it covers. */
export function describeAt(line: string, column: number): { start: number; end: number; markdown: string } | undefined {
  const at = locateInLine(line, column);
  if (!at) return undefined;
  const key = at.path[at.path.length - 1];
  const inMessage = at.path.length === 3 && MESSAGE_LISTS.has(String(at.path[0])) && typeof at.path[1] === 'number';
  const property = inMessage ? MESSAGE_PROPERTIES[String(key)] : at.path.length === 1 ? RECORD_PROPERTIES[String(key)] : undefined;
  if (!property) return undefined;
  if (at.onKey) return property.description ? { ...at.span, markdown: `**${String(key)}**: ${property.description}` } : undefined;
  if (key === 'role' && at.node?.kind === 'string') {
    const index = (property.enum ?? []).indexOf(at.node.value);
    const description = property.enumDescriptions?.[index];
    return description ? { ...at.span, markdown: `**${at.node.value}**: ${description}` } : undefined;
  }
  return undefined;
}

/** Completion items for a key or a role value, with the schema's descriptions. */
export function completionChoices(kind: 'record-key' | 'message-key' | 'role'): { label: string; detail: string }[] {
  if (kind === 'role') {
    const role = MESSAGE_PROPERTIES['role']!;
    return (role.enum ?? []).map((value, i) => ({ label: String(value), detail: role.enumDescriptions?.[i] ?? '' }));
  }
  const properties = kind === 'record-key' ? RECORD_PROPERTIES : MESSAGE_PROPERTIES;
  return Object.entries(properties).map(([label, p]) => ({ label, detail: p.description ?? '' }));
}

/**
 * What may be typed at the end of `before` (the line up to the cursor), read from the brackets
 * and strings so far, since a line being written is rarely valid JSON: a role value, a key of
 * the record, or a key of a message. Undefined anywhere else (inside text, after a colon).
 */
export function completionContext(before: string): 'record-key' | 'message-key' | 'role' | undefined {
  if (/"role"\s*:\s*"[^"\\]*$/.test(before)) return 'role';
  const stack: { kind: '{' | '['; key?: string }[] = [];
  let lastString: string | undefined;
  let expectKey = false;
  let inString = false;
  let stringStart = 0;
  for (let i = 0; i < before.length; i++) {
    const ch = before[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        lastString = before.slice(stringStart + 1, i);
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      stringStart = i;
    } else if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? { kind: '{' } : { kind: '[', ...(lastString !== undefined ? { key: lastString } : {}) });
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      expectKey = false;
    } else if (ch === ',') {
      expectKey = stack[stack.length - 1]?.kind === '{';
    } else if (ch === ':') {
      expectKey = false;
    }
  }
  // The cursor is in a key: right after `{` or `,`, possibly inside the key's opening quote.
  const typingKey = inString ? expectKey && !/"\s*:/.test(before.slice(stringStart)) : expectKey && /[{,]\s*$/.test(before);
  if (!typingKey) return undefined;
  if (stack.length === 1 && stack[0]!.kind === '{') return 'record-key';
  const list = stack[stack.length - 2];
  if (stack.length === 3 && list?.kind === '[' && list.key !== undefined && MESSAGE_LISTS.has(list.key)) return 'message-key';
  return undefined;
}
