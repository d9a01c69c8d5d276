/** Every structural rule, positive and negative, with the range each finding points at. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ruleHeading, rulesMarkdown } from '../../src/dataset/ruleDocs';
import { RULES, type RuleCode } from '../../src/dataset/rules';
import { chat, check, codes, covered, ROOT } from '../helpers';

const GOOD = chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello!']);

function findingOf(line: string | object, code: string): { start: number; end: number; message: string } {
  const text = typeof line === 'string' ? line : JSON.stringify(line);
  const finding = check(text).findings.find((f) => f.code === code);
  assert.ok(finding, `expected ${code} on ${text}, got ${codes(text).join(', ')}`);
  return finding;
}

test('a good conversation has no findings', () => {
  assert.deepEqual(codes(GOOD), []);
  assert.deepEqual(codes({ prompt: 'Q: 2+2?', completion: ' 4' }), []);
  assert.deepEqual(codes({ prompt: [{ role: 'user', content: 'Hi' }], completion: [{ role: 'assistant', content: 'Hello' }] }), []);
  assert.deepEqual(codes({ text: 'Some pretraining text.' }), []);
});

test('line and JSON rules', () => {
  assert.deepEqual(codes('   '), ['line/blank']);
  assert.deepEqual(codes('{"messages": [}'), ['json/invalid']);
  assert.deepEqual(codes('[1, 2]'), ['json/not-object']);
  assert.deepEqual(codes('"text"'), ['json/not-object']);
  const line = '{"messages": [], "messages": []}';
  assert.equal(covered(line, findingOf(line, 'json/duplicate-key')), '"messages"');
  assert.equal(findingOf(line, 'json/duplicate-key').start, 17);
});

test('format detection and convertible formats', () => {
  const unknown = '{"question": "a", "answer": "b"}';
  assert.match(findingOf(unknown, 'format/unknown').message, /"question", "answer"/);
  const sharegpt = '{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}';
  assert.equal(covered(sharegpt, findingOf(sharegpt, 'format/convertible')), '"conversations"');
  assert.deepEqual(codes({ instruction: 'Add', input: '1+1', output: '2' }), ['format/convertible']);
  assert.deepEqual(codes({ instruction: 'Add', output: '2', history: [['a', 'b']] }), ['format/convertible']);
  assert.ok(codes({ instruction: 'Add', output: '2', history: 'x' }).includes('record/type'));
  const badRole = '{"conversations": [{"from": "robot", "value": "Hi"}]}';
  assert.equal(covered(badRole, findingOf(badRole, 'message/role-unknown')), '"robot"');
});

test('record keys and types', () => {
  const extra = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}], "id": 7}';
  assert.equal(covered(extra, findingOf(extra, 'record/unknown-key')), '"id"');
  assert.deepEqual(codes({ text: 5 }), ['record/type']);
  assert.deepEqual(codes({ text: '  ' }), ['text/empty']);
  assert.deepEqual(codes({ prompt: 'Q' }), ['record/type']);
  assert.deepEqual(codes({ prompt: 'Q', completion: [{ role: 'assistant', content: 'A' }] }), ['prompt/mismatch']);
  assert.deepEqual(codes({ prompt: 'Q', completion: '' }), ['text/empty']);
  assert.ok(codes({ ...GOOD, tools: {} }).includes('record/type'));
  assert.deepEqual(codes({ ...GOOD, tools: [{ type: 'function', function: { name: 'f' } }] }), []);
});

test('messages list rules', () => {
  const notArray = '{"messages": {"role": "user"}}';
  assert.equal(covered(notArray, findingOf(notArray, 'messages/not-array')), '{"role": "user"}');
  assert.deepEqual(codes({ messages: [] }), ['messages/empty']);
  const noAssistant = '{"messages": [{"role": "user", "content": "Hi"}]}';
  assert.equal(covered(noAssistant, findingOf(noAssistant, 'messages/no-assistant')), '"messages"');
  const trailing = chat(['user', 'Hi'], ['assistant', 'Yo'], ['user', 'Bye']);
  const trailingLine = JSON.stringify(trailing);
  assert.equal(covered(trailingLine, findingOf(trailingLine, 'messages/last-not-assistant')), '{"role":"user","content":"Bye"}');
  assert.ok(!codes(GOOD).includes('messages/last-not-assistant'));
});

test('role order rules', () => {
  const twice = JSON.stringify(chat(['user', 'a'], ['user', 'b'], ['assistant', 'c']));
  const finding = findingOf(twice, 'messages/consecutive-role');
  assert.equal(finding.start, twice.lastIndexOf('"user"'));
  assert.deepEqual(codes(chat(['user', 'a'], ['assistant', 'b'], ['user', 'c'], ['assistant', 'd'])), []);
  const lateSystem = JSON.stringify(chat(['user', 'a'], ['system', 'b'], ['assistant', 'c']));
  assert.equal(covered(lateSystem, findingOf(lateSystem, 'messages/system-not-first')), '"system"');
  const tools = { messages: [
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'w', arguments: { city: 'Oslo' } } }, { type: 'function', function: { name: 'w', arguments: '{"city":"Rome"}' } }] },
    { role: 'tool', content: '5C', tool_call_id: '1' }, { role: 'tool', content: '20C', tool_call_id: '2' },
    { role: 'assistant', content: 'Cold in Oslo, warm in Rome.' },
  ] };
  assert.deepEqual(codes(tools), []);
});

test('message shape rules', () => {
  const notObject = '{"messages": ["hi", {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(notObject, findingOf(notObject, 'message/not-object')), '"hi"');
  const noRole = '{"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(noRole, findingOf(noRole, 'message/role-missing')), '{"content": "hi"}');
  const numberRole = '{"messages": [{"role": 1, "content": "hi"}]}';
  assert.equal(covered(numberRole, findingOf(numberRole, 'record/type')), '1');
  const unknownRole = '{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(unknownRole, findingOf(unknownRole, 'message/role-unknown')), '"human"');
  const noContent = '{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(noContent, findingOf(noContent, 'message/content-missing')), '{"role": "user"}');
  const listContent = '{"messages": [{"role": "user", "content": [{"type": "text"}]}, {"role": "assistant", "content": "x"}]}';
  assert.match(findingOf(listContent, 'record/type').message, /content parts/);
  const empty = '{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(empty, findingOf(empty, 'message/content-empty')), '""');
  const extraKey = '{"messages": [{"role": "user", "content": "hi", "mood": "ok"}, {"role": "assistant", "content": "x"}]}';
  assert.equal(covered(extraKey, findingOf(extraKey, 'message/unknown-key')), '"mood"');
});

test('weight must be 0 or 1', () => {
  const bad = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": 0.5}]}';
  assert.equal(covered(bad, findingOf(bad, 'message/weight-invalid')), '0.5');
  assert.ok(codes(bad.replace('0.5', '"1"')).includes('message/weight-invalid'));
  assert.deepEqual(codes(bad.replace('0.5', '0')), []);
  assert.deepEqual(codes(bad.replace('0.5', '1')), []);
});

test('tool calls must have the OpenAI shape', () => {
  const line = (calls: unknown): object => ({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', tool_calls: calls }, { role: 'tool', content: 'r' }, { role: 'assistant', content: 'a' }] });
  assert.ok(codes(line({})).includes('message/tool-calls-invalid'));
  assert.ok(codes(line([{ type: 'function' }])).includes('message/tool-calls-invalid'));
  assert.ok(codes(line([{ function: { name: '' } }])).includes('message/tool-calls-invalid'));
  assert.ok(codes(line([{ function: { name: 'f', arguments: 3 } }])).includes('message/tool-calls-invalid'));
  assert.deepEqual(codes(line([{ function: { name: 'f', arguments: {} } }])), []);
});

test('an empty trained reply is an error; empty prompt text and untrained replies only warn', () => {
  const reply = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " "}]}';
  assert.deepEqual(codes(reply), ['message/reply-empty']);
  assert.equal(covered(reply, findingOf(reply, 'message/reply-empty')), '" "');
  assert.deepEqual(codes(reply.replace('" "}', '" ", "weight": 0}')), ['message/content-empty']);
  assert.deepEqual(codes({ prompt: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '' }], completion: [{ role: 'assistant', content: 'a' }] }), ['message/content-empty', 'messages/consecutive-role']);
  assert.deepEqual(codes({ instruction: 'Add', output: '' }), ['format/convertible', 'message/reply-empty']);
  const calls = { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'f', arguments: {} } }] }, { role: 'tool', content: 'r' }, { role: 'assistant', content: 'a' }] };
  assert.deepEqual(codes(calls), []);
});

test('conversation shape: an assistant first, a tool result with no call before it', () => {
  const first = JSON.stringify(chat(['system', 's'], ['assistant', 'Hello!'], ['user', 'Hi'], ['assistant', 'Yes?']));
  assert.equal(covered(first, findingOf(first, 'messages/assistant-first')), '"assistant"');
  assert.ok(!codes(GOOD).includes('messages/assistant-first'));
  const stray = JSON.stringify(chat(['user', 'q'], ['tool', '5C'], ['assistant', 'It is 5C']));
  const finding = findingOf(stray, 'messages/tool-without-call');
  assert.equal(covered(stray, finding), '"tool"');
  const afterText = JSON.stringify(chat(['user', 'q'], ['assistant', 'Let me look.'], ['tool', '5C'], ['assistant', 'It is 5C']));
  assert.ok(codes(afterText).includes('messages/tool-without-call'));
  const sharegpt = { conversations: [{ from: 'human', value: 'Weather?' }, { from: 'function_call', value: '{"name": "w"}' }, { from: 'observation', value: '5C' }, { from: 'gpt', value: 'Cold.' }] };
  assert.deepEqual(codes(sharegpt), ['format/convertible']);
});

test('an unknown role that is close to a known one gets a "did you mean"', () => {
  assert.match(findingOf(chat(['User', 'hi'], ['assistant', 'x']), 'message/role-unknown').message, /did you mean "user"\?/);
  assert.match(findingOf(chat(['user', 'hi'], ['assistent', 'x']), 'message/role-unknown').message, /did you mean "assistant"\?/);
  assert.match(findingOf(chat(['robot', 'hi'], ['assistant', 'x']), 'message/role-unknown').message, /use one of "system"/);
});

test('docs/rules.md, which diagnostics link to, explains every rule and is what the catalog writes', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'rules.md'), 'utf8');
  assert.equal(doc, rulesMarkdown(), 'docs/rules.md is out of date: run `bin/sft-studio rules --format markdown > docs/rules.md`');
  for (const code of Object.keys(RULES)) assert.ok(doc.includes(`\n${ruleHeading(code as RuleCode)}\n`), code);
});
