/** The editor's document model re-checks only what changed and keeps file-level findings current. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLine } from '../../src/dataset/checkLine';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { chat, FORMAT_ONLY } from '../helpers';

const line = (n: number): string => JSON.stringify(chat(['user', `Question ${n}`], ['assistant', `Answer ${n}`]));

function summary(doc: DatasetDocument): string[] {
  return doc.allFindings().map((f) => `${f.line + 1}:${f.code}`);
}

/** The same findings as checking the whole text from scratch. */
function assertSameAsFresh(doc: DatasetDocument, text: string): void {
  assert.deepEqual(doc.allFindings(), new DatasetDocument({ context: FORMAT_ONLY }, text).allFindings());
}

test('duplicates point at the first occurrence and follow edits', () => {
  const lines = [line(1), line(2), line(1), line(1)];
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, lines.join('\n'));
  assert.deepEqual(summary(doc), ['3:duplicate/example', '4:duplicate/example']);
  assert.equal(doc.lineFindings(3)[0]!.related!.line, 0);
  // Edit the first copy: the second copy becomes the first occurrence.
  doc.replaceLines(0, 1, [line(9)]);
  assert.deepEqual(summary(doc), ['4:duplicate/example']);
  assert.equal(doc.lineFindings(3)[0]!.related!.line, 2);
  // Insert a line at the top: every later line moves down.
  doc.replaceLines(0, 0, [line(2)]);
  assert.deepEqual(summary(doc), ['3:duplicate/example', '5:duplicate/example']);
  assertSameAsFresh(doc, [line(2), line(9), line(2), line(1), line(1)].join('\n'));
  // Delete two lines.
  doc.replaceLines(1, 3, []);
  assertSameAsFresh(doc, [line(2), line(1), line(1)].join('\n'));
});

test('mixed formats appear and disappear as lines change', () => {
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, [line(1), line(2)].join('\n'));
  assert.deepEqual(doc.fileFindings(), []);
  doc.replaceLines(1, 2, ['{"text": "plain"}']);
  assert.deepEqual(doc.fileFindings().map((f) => f.code), ['format/mixed']);
  doc.replaceLines(1, 2, [line(3)]);
  assert.deepEqual(doc.fileFindings(), []);
});

test('overrides switch rules off or change their severity', () => {
  const text = [line(1), line(1), '{"messages": []}'].join('\n');
  const doc = new DatasetDocument({ context: FORMAT_ONLY, overrides: { 'duplicate/example': 'off', 'messages/empty': 'warning' } }, text);
  assert.deepEqual(doc.allFindings().map((f) => `${f.code}:${f.severity}`), ['messages/empty:warning']);
});

test('the empty line after a final newline is not a blank example', () => {
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, `${line(1)}\n`);
  assert.deepEqual(doc.allFindings(), []);
  doc.setText(`${line(1)}\n\n${line(2)}\r\n`);
  assert.deepEqual(summary(doc), ['2:line/blank']);
});

test('an edit re-checks only the lines it replaced', () => {
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, Array.from({ length: 1000 }, (_, i) => line(i)).join('\n'));
  const before = doc.lineResult(500);
  doc.replaceLines(10, 11, ['{"messages": [}']);
  assert.equal(doc.lineResult(500), before, 'untouched lines keep their results');
  assert.deepEqual(doc.lineFindings(10).map((f) => f.code), ['json/invalid']);
  assert.deepEqual(doc.lineResult(10), checkLine('{"messages": [}', FORMAT_ONLY));
});

test('deferred checking in slices gives the same findings, even with edits in between', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => (i % 500 === 7 ? '{"messages": [}' : line(i % 1000)));
  const text = lines.join('\n');
  const doc = new DatasetDocument({ context: FORMAT_ONLY });
  doc.setText(text, { defer: true });
  assert.equal(doc.pendingLines, 3000);
  assert.deepEqual(doc.allFindings(), []);
  doc.checkPending(0);
  assert.ok(doc.pendingLines < 3000 && doc.pendingLines > 0, 'a zero budget still checks a slice, then yields');
  doc.replaceLines(2000, 2002, ['{"text": "edited"}']);
  lines.splice(2000, 2, '{"text": "edited"}');
  while (doc.checkPending(5) > 0);
  assertSameAsFresh(doc, lines.join('\n'));
});

test('lines handed out to be checked elsewhere come back in order, edits and failures in between', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => (i % 300 === 5 ? '{"messages": [}' : line(i % 700)));
  const doc = new DatasetDocument({ context: FORMAT_ONLY });
  doc.setText(lines.join('\n'), { defer: true });
  const out = doc.handOutPending();
  assert.equal(out.length, 2000);
  assert.equal(doc.pendingLines, 2000, 'handed-out lines still count as pending');
  assert.equal(doc.queuedLines, 0);
  // An edit while the lines are out: the replaced lines' results are dropped when they come back.
  doc.replaceLines(100, 103, ['{"text": "edited"}', '{"messages": 3}']);
  lines.splice(100, 3, '{"text": "edited"}', '{"messages": 3}');
  for (const pending of out.slice(0, 1500)) doc.acceptResult(pending, checkLine(pending.text, FORMAT_ONLY));
  // The rest never comes back (a worker failed): they are checked here.
  doc.returnUnchecked(out.slice(1500));
  assert.equal(doc.pendingLines, 500);
  while (doc.checkPending(5) > 0);
  assert.equal(doc.pendingLines, 0);
  assertSameAsFresh(doc, lines.join('\n'));
});

test('editor changes by range apply in sequence, like an editor reports them', () => {
  const lines = [line(1), line(2), line(3)];
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, lines.join('\n'));
  // Two changes in one event, bottom first (as multi-cursor edits arrive): break line 3, join lines 1-2.
  doc.applyChange({ line: 2, character: 1 }, { line: 2, character: 2 }, '');
  doc.applyChange({ line: 0, character: lines[0]!.length }, { line: 1, character: 0 }, '');
  const expected = [lines[0]! + lines[1]!, lines[2]!.slice(0, 1) + lines[2]!.slice(2)];
  assert.deepEqual([doc.lineText(0), doc.lineText(1)], expected);
  assert.equal(doc.lineCount, 2);
  assertSameAsFresh(doc, expected.join('\n'));
  doc.applyChange({ line: 1, character: 0 }, { line: 1, character: 0 }, `${line(4)}\n`);
  assertSameAsFresh(doc, [expected[0], line(4), expected[1]].join('\n'));
});
