/**
 * Sets `model` or `template` in the text of `sft-studio.json` with the smallest edit, so the
 * editor applies it as one undoable change and everything else in the file (other keys, their
 * order, comments of layout) stays as the user wrote it.
 */
import { parseJson, type JsonNode } from './json/parseJson';
import type { TextEdit } from './textEdits';

export type ProjectEdit = { ok: true; edits: TextEdit[] } | { ok: false; message: string };

/** The text of a new project file holding one setting. */
export function newProjectFileText(key: 'model' | 'template', value: string): string {
  return `${JSON.stringify({ [key]: value }, null, 2)}\n`;
}

/**
 * Edits that set `key` to `value`. Choosing a model also removes `template`, which would
 * otherwise replace the model's own chat template; choosing a template keeps the model, whose
 * tokenizer is still wanted.
 */
export function setProjectSetting(text: string, key: 'model' | 'template', value: string): ProjectEdit {
  const parsed = parseJson(text.trim().length === 0 ? '{}' : text);
  if (!parsed.ok) return { ok: false, message: `sft-studio.json is not valid JSON (${parsed.error.message}): fix it first` };
  const root = parsed.value;
  if (root.kind !== 'object') return { ok: false, message: 'sft-studio.json must hold a JSON object' };
  if (text.trim().length === 0) return { ok: true, edits: [{ start: 0, end: text.length, newText: newProjectFileText(key, value) }] };
  const existing = root.members.find((m) => m.key === key);
  const templateIndex = key === 'model' ? root.members.findIndex((m) => m.key === 'template') : -1;
  const template = root.members[templateIndex];
  const edits: TextEdit[] = [];
  if (existing) edits.push({ start: existing.value.start, end: existing.value.end, newText: JSON.stringify(value) });
  // Without a model yet, the model takes the template's place.
  else if (template) edits.push({ start: template.keySpan.start, end: template.value.end, newText: `${JSON.stringify(key)}: ${JSON.stringify(value)}` });
  else edits.push(insertFirstMember(text, root, key, value));
  if (existing && template) edits.push(removeMember(root, templateIndex));
  return { ok: true, edits };
}

/** Inserts `"key": value` as the first member, indented like the members that follow. */
function insertFirstMember(text: string, root: Extract<JsonNode, { kind: 'object' }>, key: string, value: string): TextEdit {
  const member = `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  const first = root.members[0];
  const at = root.start + 1;
  if (!first) return { start: at, end: root.end - 1, newText: `\n  ${member}\n` };
  const between = text.slice(at, first.keySpan.start);
  return { start: at, end: at, newText: `${between}${member},` };
}

/** Removes member `index` with the comma that separates it from a neighbour. */
function removeMember(root: Extract<JsonNode, { kind: 'object' }>, index: number): TextEdit {
  const member = root.members[index]!;
  const previous = root.members[index - 1];
  const next = root.members[index + 1];
  if (next) return { start: member.keySpan.start, end: next.keySpan.start, newText: '' };
  if (previous) return { start: previous.value.end, end: member.value.end, newText: '' };
  return { start: root.start + 1, end: root.end - 1, newText: '' };
}

/**
 * Edits that set several top-level members (the training form's `model`, `dataset`, `max_length`
 * and whole sections) with the smallest change: a member that exists gets its value replaced, a
 * new one is added at the end, indented like the file. An empty file becomes a new object.
 */
export function setProjectMembers(text: string, members: Readonly<Record<string, unknown>>): ProjectEdit {
  if (text.trim().length === 0) return { ok: true, edits: [{ start: 0, end: text.length, newText: `${JSON.stringify(members, null, 2)}\n` }] };
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, message: `sft-studio.json is not valid JSON (${parsed.error.message}): fix it first` };
  const root = parsed.value;
  if (root.kind !== 'object') return { ok: false, message: 'sft-studio.json must hold a JSON object' };
  const indent = memberIndent(text, root);
  const valueText = (value: unknown): string => JSON.stringify(value, null, indent.length).replace(/\n/g, `\n${indent}`);
  const edits: TextEdit[] = [];
  const added: string[] = [];
  for (const [key, value] of Object.entries(members)) {
    const existing = root.members.find((m) => m.key === key);
    if (existing) edits.push({ start: existing.value.start, end: existing.value.end, newText: valueText(value) });
    else added.push(`${indent}${JSON.stringify(key)}: ${valueText(value)}`);
  }
  if (added.length > 0) {
    const last = root.members[root.members.length - 1];
    const at = last ? last.value.end : root.start + 1;
    edits.push({ start: at, end: at, newText: `${last ? ',' : ''}\n${added.join(',\n')}${last ? '' : '\n'}` });
  }
  return { ok: true, edits };
}

/** The indentation of the object's first member (two spaces when it has none on its own line). */
function memberIndent(text: string, root: Extract<JsonNode, { kind: 'object' }>): string {
  const first = root.members[0];
  if (!first) return '  ';
  const lineStart = text.lastIndexOf('\n', first.keySpan.start - 1) + 1;
  const indent = text.slice(lineStart, first.keySpan.start);
  return /^[ \t]+$/.test(indent) ? indent : '  ';
}
