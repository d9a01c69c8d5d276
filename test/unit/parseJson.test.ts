import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getMember, MAX_JSON_DEPTH, parseJson, toPlainValue } from '../../src/dataset/json/parseJson';

test('parses values with exact spans', () => {
  const text = '{"a": [1, "x", true, null], "b": {"c": -1.5e3}}';
  const result = parseJson(text);
  assert.ok(result.ok);
  const a = getMember(result.value, 'a')!;
  assert.equal(text.slice(a.keySpan.start, a.keySpan.end), '"a"');
  assert.equal(text.slice(a.value.start, a.value.end), '[1, "x", true, null]');
  assert.equal(JSON.stringify(toPlainValue(result.value)), JSON.stringify({ a: [1, 'x', true, null], b: { c: -1500 } }));
});

test('agrees with JSON.parse on escapes and unicode', () => {
  const text = String.raw`{"s": "a\"b\\c\/\n\t\u00e9\ud83d\ude00 ok"}`;
  const result = parseJson(text);
  assert.ok(result.ok);
  assert.equal(JSON.stringify(toPlainValue(result.value)), JSON.stringify(JSON.parse(text)));
});

test('reports the position of syntax errors', () => {
  const cases: Array<[string, number]> = [
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['[1 2]', 3],
    ['{"a": tru}', 6],
    ['{"a": "x}', 6],
    ["{'a': 1}", 1],
    ['{"a": 01}', 7],
    ['{"a": 1} x', 9],
    ['{"a": "\\q"}', 7],
    ['{"a": "\u0001"}', 7],
  ];
  for (const [text, column] of cases) {
    const result = parseJson(text);
    assert.ok(!result.ok, text);
    assert.equal(result.error.start, column, `${text}: ${result.error.message}`);
    assert.equal(result.error.code, 'json/invalid');
  }
});

test('rejects deep nesting without recursion', () => {
  const deep = '['.repeat(300_000) + ']'.repeat(300_000);
  const result = parseJson(deep);
  assert.ok(!result.ok);
  assert.equal(result.error.code, 'json/too-deep');
  assert.equal(result.error.start, MAX_JSON_DEPTH);
  const fine = '['.repeat(100) + ']'.repeat(100);
  assert.ok(parseJson(fine).ok);
});

test('__proto__ keys are data, duplicates are reported and the last one wins', () => {
  const text = '{"__proto__": {"polluted": 1}, "k": 1, "k": 2}';
  const result = parseJson(text);
  assert.ok(result.ok);
  const plain = toPlainValue(result.value) as Record<string, unknown>;
  assert.deepEqual(Object.keys(plain), ['__proto__', 'k']);
  assert.equal(plain['k'], 2);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(result.duplicateKeys.length, 1);
  assert.equal(result.duplicateKeys[0]!.key, 'k');
  assert.equal(getMember(result.value, 'k')!.value.start, text.lastIndexOf('2'));
});

test('duplicate detection scales to objects with many keys', () => {
  const members = Array.from({ length: 20_000 }, (_, i) => `"k${i}": ${i}`);
  members.push('"k7": 0');
  const result = parseJson(`{${members.join(',')}}`);
  assert.ok(result.ok);
  assert.deepEqual(result.duplicateKeys.map((m) => m.key), ['k7']);
});

test('huge numbers parse without throwing', () => {
  const result = parseJson('{"n": 1e400, "m": -123456789012345678901234567890}');
  assert.ok(result.ok);
  assert.equal((toPlainValue(result.value) as { n: number }).n, Infinity);
});
