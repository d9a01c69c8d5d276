/**
 * Quick fixes that need the whole line: merging two messages of one role, moving a system
 * message first, and converting a ShareGPT or Alpaca line to `messages`. Fixes whose finding
 * knows its replacement where it is made (role typos, duplicates, blank lines, foreign template
 * tokens) are attached there; this module adds the rest after a line is interpreted, and applies
 * fixes to text for the command line and the tests.
 *
 * A fix never guesses: it is offered only when the result is certain to be valid JSON that keeps
 * every other key of the line (a message with keys besides role and content is not merged).
 */
import { convertLine } from './convert';
import { parseJson } from './json/parseJson';
import type { DatasetRecord } from './records';
import type { ChatMessage } from './checks/messageRules';
import type { Fix, LineEdit, LineFinding } from './rules';
import { applyTextEdits } from './textEdits';

/** Adds the fixes of findings that need the line's text and its interpreted record. */
export function attachLineFixes(line: string, record: DatasetRecord | undefined, findings: readonly LineFinding[]): void {
  for (const finding of findings) {
    let fix: Fix | undefined;
    if (finding.code === 'format/convertible') fix = convertFix(line);
    else if (record?.kind === 'chat' && finding.code === 'messages/consecutive-role') fix = mergeFix(line, record.messages, finding.start);
    else if (record?.kind === 'chat' && finding.code === 'messages/system-not-first') fix = moveSystemFirstFix(line, record.messages, finding.start);
    if (fix) finding.fixes = [...(finding.fixes ?? []), fix];
  }
}

/** The line with a fix's edits applied, or undefined for fixes that are not edits of the line. */
export function applyLineFix(line: string, fix: Fix): string | undefined {
  return fix.kind === 'edit-line' ? applyTextEdits(line, fix.edits) : undefined;
}

/** "Convert to messages" for every ShareGPT and Alpaca line of a document: a line number and its new text. */
export function convertAllLines(lines: readonly string[]): { line: number; text: string }[] {
  const converted: { line: number; text: string }[] = [];
  lines.forEach((text, line) => {
    const result = convertLine(text);
    if (result.kind === 'converted') converted.push({ line, text: result.text });
  });
  return converted;
}

function convertFix(line: string): Fix | undefined {
  const result = convertLine(line);
  if (result.kind !== 'converted') return undefined;
  return { title: 'Convert this line to "messages"', kind: 'edit-line', edits: [{ start: 0, end: line.length, newText: result.text }] };
}

/** Merges a message into the one before it when both hold only a role and string content. */
function mergeFix(line: string, messages: readonly ChatMessage[], roleStart: number): Fix | undefined {
  const index = messages.findIndex((m) => m.roleSpan.start === roleStart);
  const previous = messages[index - 1];
  const message = messages[index];
  if (!previous || !message || !onlyRoleAndText(line, previous) || !onlyRoleAndText(line, message)) return undefined;
  if (!separatedByComma(line, previous, message)) return undefined;
  const edits: LineEdit[] = [
    { ...previous.contentSpan, newText: JSON.stringify(`${previous.content}\n\n${message.content}`) },
    { start: previous.span.end, end: message.span.end, newText: '' },
  ];
  return { title: `Merge the two ${message.role} messages`, kind: 'edit-line', edits };
}

/** Moves a system message to the front of its list, when no system message is there already. */
function moveSystemFirstFix(line: string, messages: readonly ChatMessage[], roleStart: number): Fix | undefined {
  const index = messages.findIndex((m) => m.roleSpan.start === roleStart);
  const first = messages[0];
  const message = messages[index];
  if (index < 1 || !first || !message || first.role === 'system') return undefined;
  for (let i = 1; i <= index; i++) if (!separatedByComma(line, messages[i - 1]!, messages[i]!)) return undefined;
  const source = line.slice(message.span.start, message.span.end);
  const edits: LineEdit[] = [
    { start: first.span.start, end: first.span.start, newText: `${source}, ` },
    { start: messages[index - 1]!.span.end, end: message.span.end, newText: '' },
  ];
  return { title: 'Move the system message first', kind: 'edit-line', edits };
}

/** The message holds exactly a role and a string content, so merging loses nothing. */
function onlyRoleAndText(line: string, message: ChatMessage): boolean {
  const parsed = parseJson(line.slice(message.span.start, message.span.end));
  return parsed.ok && parsed.value.kind === 'object' && parsed.value.members.length === 2 && line[message.contentSpan.start] === '"';
}

/** Two messages are neighbours in one JSON array (not the end of `prompt` and the start of `completion`). */
function separatedByComma(line: string, before: ChatMessage, after: ChatMessage): boolean {
  return /^\s*,\s*$/.test(line.slice(before.span.end, after.span.start));
}
