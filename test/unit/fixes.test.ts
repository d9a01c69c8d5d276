/**
 * Quick fixes carried by findings: each is applied to the line, and the fixed line is checked
 * again, so a fix that leaves the finding, breaks the JSON or loses a key fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLine } from '../../src/dataset/checkLine';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { applyLineFix, convertAllLines } from '../../src/dataset/fixes';
import { newProjectFileText, setProjectSetting } from '../../src/dataset/projectFileEdit';
import { applyTextEdits } from '../../src/dataset/textEdits';
import type { Fix, LineFinding } from '../../src/dataset/rules';
import { chat, check, contextFor, FORMAT_ONLY, tokenizerFolder } from '../helpers';

function fixOf(line: string, code: string, context = FORMAT_ONLY): { finding: LineFinding; fix: Fix } {
  const finding = checkLine(line, context).findings.find((f) => f.code === code);
  assert.ok(finding, `expected ${code} on ${line}`);
  assert.ok(finding.fixes && finding.fixes.length > 0, `expected a fix on ${code}`);
  return { finding, fix: finding.fixes[0]! };
}

/** Applies the first fix of `code` and returns the fixed line, checked to be clean of that code and of errors. */
function applyFirst(line: string, code: string): string {
  const fixed = applyLineFix(line, fixOf(line, code).fix);
  assert.ok(fixed !== undefined);
  const after = check(fixed).findings;
  assert.ok(!after.some((f) => f.code === code), `${code} remains after the fix: ${fixed}`);
  assert.ok(!after.some((f) => f.code.startsWith('json/')), `the fix broke the JSON: ${fixed}`);
  return fixed;
}

test('role typos and other formats\' role names are fixed to the chat role', () => {
  for (const [written, meant] of [['assistent', 'assistant'], ['gpt', 'assistant'], ['human', 'user'], ['usr', 'user'], ['User', 'user'], ['model', 'assistant'], ['sytem', 'system']]) {
    const line = JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello'])).replace(written === 'human' || written === 'usr' || written === 'User' ? '"user"' : written === 'sytem' ? '"user"' : '"assistant"', JSON.stringify(written));
    const { finding, fix } = fixOf(line, 'message/role-unknown');
    assert.equal(fix.title, `Change the role to "${meant}"`);
    assert.equal(line.slice(finding.start, finding.end), JSON.stringify(written));
    const fixed = applyLineFix(line, fix)!;
    assert.ok(fixed.includes(`"role":"${meant}"`), fixed);
    assert.ok(!check(fixed).findings.some((f) => f.code === 'message/role-unknown'));
  }
  // In ShareGPT, the typo is fixed to the ShareGPT name.
  const sharegpt = JSON.stringify({ conversations: [{ from: 'humna', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] });
  assert.ok(applyLineFix(sharegpt, fixOf(sharegpt, 'message/role-unknown').fix)!.includes('"from":"human"'));
  // No guess, no fix.
  const unknown = JSON.stringify(chat(['narrator', 'Once'], ['assistant', 'upon']));
  assert.equal(checkLine(unknown, FORMAT_ONLY).findings.find((f) => f.code === 'message/role-unknown')?.fixes, undefined);
});

test('two messages of one role are merged into one, keeping the rest of the line', () => {
  const line = JSON.stringify({ id: 7, messages: [{ role: 'user', content: 'Hi.' }, { role: 'user', content: 'Are you there?' }, { role: 'assistant', content: 'Yes.' }] });
  const fixed = applyFirst(line, 'messages/consecutive-role');
  assert.deepEqual(JSON.parse(fixed), { id: 7, messages: [{ role: 'user', content: 'Hi.\n\nAre you there?' }, { role: 'assistant', content: 'Yes.' }] });
  // A message with more than a role and text is not merged: its other keys would be lost.
  const weighted = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b', weight: 0 }, { role: 'assistant', content: 'c' }] });
  assert.equal(fixOfMaybe(weighted, 'messages/consecutive-role'), undefined);
  // Across prompt and completion the two lists cannot be merged by an edit of one array.
  const split = JSON.stringify({ prompt: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], completion: [{ role: 'assistant', content: 'c' }] });
  assert.equal(fixOfMaybe(split, 'messages/consecutive-role'), undefined);
});

function fixOfMaybe(line: string, code: string): Fix | undefined {
  return checkLine(line, FORMAT_ONLY).findings.find((f) => f.code === code)?.fixes?.[0];
}

test('a system message is moved first', () => {
  const line = JSON.stringify(chat(['user', 'Hi'], ['system', 'Be brief.'], ['assistant', 'Hello']));
  const fixed = applyFirst(line, 'messages/system-not-first');
  assert.deepEqual(JSON.parse(fixed), chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello']));
  const later = JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello'], ['user', 'Again'], ['system', 'Be brief.'], ['assistant', 'Hello again']));
  assert.deepEqual(JSON.parse(applyLineFix(later, fixOf(later, 'messages/system-not-first').fix)!),
    chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello'], ['user', 'Again'], ['assistant', 'Hello again']));
  // With a system message already first, moving another there is no fix.
  assert.equal(fixOfMaybe(JSON.stringify(chat(['system', 'a'], ['user', 'b'], ['system', 'c'], ['assistant', 'd'])), 'messages/system-not-first'), undefined);
});

test('ShareGPT and Alpaca lines convert to messages, one line or all of them', () => {
  const sharegpt = JSON.stringify({ conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }], source: 'web' });
  const alpaca = JSON.stringify({ instruction: 'Add', input: '2 and 2', output: '4' });
  const fixedShareGpt = applyFirst(sharegpt, 'format/convertible');
  assert.deepEqual(JSON.parse(fixedShareGpt), { ...chat(['user', 'Hi'], ['assistant', 'Hello']), source: 'web' });
  assert.deepEqual(JSON.parse(applyFirst(alpaca, 'format/convertible')), chat(['user', 'Add\n\n2 and 2'], ['assistant', '4']));
  const good = JSON.stringify(chat(['user', 'a'], ['assistant', 'b']));
  assert.deepEqual(convertAllLines([sharegpt, good, alpaca, '{"broken']).map((c) => c.line), [0, 2]);
});

test('a duplicate and a blank line are deleted', () => {
  const line = JSON.stringify(chat(['user', 'a'], ['assistant', 'b']));
  const doc = new DatasetDocument({ context: FORMAT_ONLY }, [line, '', line].join('\n'));
  const blank = doc.lineFindings(1).find((f) => f.code === 'line/blank');
  assert.deepEqual(blank?.fixes, [{ title: 'Delete the blank line', kind: 'delete-line' }]);
  const duplicate = doc.lineFindings(2).find((f) => f.code === 'duplicate/example');
  assert.deepEqual(duplicate?.fixes, [{ title: 'Delete this duplicate line', kind: 'delete-line' }]);
  doc.replaceLines(1, 3, []);
  assert.deepEqual(doc.allFindings(), []);
});

test('special tokens of another family offer that family\'s template', () => {
  const line = JSON.stringify({ text: '<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>' });
  const finding = checkLine(line, contextFor({ template: 'llama3' })).findings.find((f) => f.code === 'template/foreign-tokens')!;
  const templates = finding.fixes!.map((f) => (f.kind === 'set-project' ? f.value : ''));
  assert.equal(templates[0], 'phi3', 'the family that owns all three tokens comes first');
  // The offered template knows the tokens: under it, the findings are gone.
  assert.ok(!checkLine(line, contextFor({ template: 'phi3' })).findings.some((f) => f.code === 'template/foreign-tokens'));
  // A model's tokenizer would not know them either: no template is offered there.
  const underModel = checkLine(line, contextFor({ model: tokenizerFolder('llama3') })).findings.find((f) => f.code === 'template/foreign-tokens')!;
  assert.equal(underModel.fixes, undefined);
});

test('the project file gets model or template with the smallest edit', () => {
  const text = '{\n  "max_length": 512,\n  "template": "llama3",\n  "rules": {}\n}\n';
  const set = (t: string, key: 'model' | 'template', value: string): string => {
    const edit = setProjectSetting(t, key, value);
    assert.ok(edit.ok);
    return applyTextEdits(t, edit.edits);
  };
  assert.equal(set(text, 'template', 'qwen3'), text.replace('"llama3"', '"qwen3"'));
  // A model replaces the template, which would override the model's own.
  assert.equal(set(text, 'model', 'org/name'), '{\n  "max_length": 512,\n  "model": "org/name",\n  "rules": {}\n}\n');
  assert.equal(set('{"template": "x"}', 'model', 'm'), '{"model": "m"}');
  assert.equal(set('{"model": "a", "template": "x"}', 'model', 'b'), '{"model": "b"}');
  assert.equal(set('{"template": "x", "model": "a"}', 'model', 'b'), '{"model": "b"}');
  assert.equal(set('{}', 'template', 'phi3'), '{\n  "template": "phi3"\n}');
  assert.equal(set('', 'template', 'phi3'), newProjectFileText('template', 'phi3'));
  assert.deepEqual(JSON.parse(set('{"max_length": 8, "template": "a"}', 'model', './m')), { model: './m', max_length: 8 });
  const broken = setProjectSetting('{"model": ', 'template', 'x');
  assert.ok(!broken.ok && /not valid JSON/.test(broken.message));
});
