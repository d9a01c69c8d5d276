/**
 * Fuzzing: random and mutated lines never make the checker throw, and every line that the JSON
 * grammar or the record schema rejects gets at least one error on that line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLine } from '../../src/dataset/checkLine';
import { RULES } from '../../src/dataset/rules';
import { seededRandom as random } from '../../src/trainer/generate';
import { chat, contextFor, FORMAT_ONLY } from '../helpers';

const SEEDS = [
  JSON.stringify(chat(['system', 'Be brief.'], ['user', 'Hi there'], ['assistant', 'Hello!'])),
  JSON.stringify({ prompt: 'Q', completion: 'A' }),
  JSON.stringify({ text: 'plain text' }),
  JSON.stringify({ conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: 'yo' }] }),
  JSON.stringify({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: {} } }] }, { role: 'tool', content: 'r' }, { role: 'assistant', content: 'a', weight: 1 }] }),
];
const PIECES = ['{', '}', '[', ']', '"', ':', ',', '\\', 'null', 'true', '1e999', '-', '"role"', '"content"', '"messages"', '"assistant"', '__proto__', '\u0000', '\uD800', '😀', ' ', '\n'];

function mutate(line: string, next: () => number): string {
  let out = line;
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const choice = next();
    if (choice < 0.4) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 3));
    else if (choice < 0.8) out = out.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)]! + out.slice(at);
    else out = out.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x10000)) + out.slice(at);
  }
  return out;
}

/** Whether the line is one the grammar or schema rejects, judged independently of the checker. */
function mustHaveError(line: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line.trim().length > 0;
  }
  return value === null || typeof value !== 'object' || Array.isArray(value);
}

test('mutated lines never throw, and invalid JSON always gets an error on its line', () => {
  const next = random(20261128);
  const contexts = [FORMAT_ONLY, contextFor({ template: 'llama3' })];
  for (let i = 0; i < 4000; i++) {
    const line = mutate(SEEDS[i % SEEDS.length]!, next);
    const result = checkLine(line, contexts[i % 2]!);
    for (const finding of result.findings) {
      assert.ok(finding.start >= 0 && finding.end >= finding.start && finding.end <= line.length, `range of ${finding.code} in ${JSON.stringify(line)}`);
    }
    if (mustHaveError(line)) {
      assert.ok(result.findings.some((f) => RULES[f.code].severity === 'error'), `no error for ${JSON.stringify(line)}`);
    }
  }
});

test('random text, huge lines and deep nesting: no exception, and every broken line gets an error', () => {
  const next = random(7);
  for (let i = 0; i < 500; i++) {
    const line = Array.from({ length: 1 + Math.floor(next() * 200) }, () => String.fromCharCode(Math.floor(next() * 0x10000))).join('');
    const findings = checkLine(line, FORMAT_ONLY).findings;
    const blank = line.trim().length === 0;
    assert.ok(blank ? findings.some((f) => f.code === 'line/blank') : findings.some((f) => RULES[f.code].severity === 'error'), `no error for ${JSON.stringify(line)}`);
  }
  const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(30_000_000) }, { role: 'assistant', content: 'y' }] });
  assert.deepEqual(checkLine(big, FORMAT_ONLY).findings, []);
  const truncated = big.slice(0, -3);
  assert.deepEqual(checkLine(truncated, FORMAT_ONLY).findings.map((f) => f.code), ['json/invalid']);
  const deep = `{"messages": ${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
  assert.deepEqual(checkLine(deep, FORMAT_ONLY).findings.map((f) => f.code), ['json/too-deep']);
  const deepTools = JSON.stringify({ ...chat(['user', 'a'], ['assistant', 'b']), tools: [JSON.parse('['.repeat(200) + ']'.repeat(200))] });
  assert.doesNotThrow(() => checkLine(deepTools, contextFor({ template: 'llama3.1' })));
});
