/** Token offsets rebuilt from token bytes must cover the text exactly, on every vocabulary style. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { libraryTokenizer } from '../../src/dataset/tokens';
import { contextFor, tokenizerFolder } from '../helpers';

const SAMPLES = [
  'Plain English, with punctuation!',
  'Accents: héllo wörld; CJK: 你好世界; emoji: 😀👍🏽 and a tab\tand\nnew lines\n\n  indented',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '<s>[INST] Hi [/INST] Hello</s> [INST] again',
  '<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>',
  '<|im_start|>user\nHi<|im_end|>\n',
];

for (const name of ['llama3', 'llama2', 'qwen3', 'gemma3'] as const) {
  test(`${name}: every token's span holds the text that token stands for`, () => {
    const tokenizer = contextFor({ model: tokenizerFolder(name) }).tokenizer!;
    for (const sample of SAMPLES) {
      const encoded = tokenizer.encodeWithOffsets(sample);
      assert.equal(encoded.approximate, false, sample);
      let previousEnd = 0;
      for (let i = 0; i < encoded.ids.length; i++) {
        const start = encoded.offsets[2 * i]!;
        const end = encoded.offsets[2 * i + 1]!;
        // A character split across byte-level tokens belongs to both, so spans may overlap by one character.
        assert.ok(start <= end && start >= previousEnd - 2, `${name} token ${i} of ${JSON.stringify(sample)}`);
        previousEnd = end;
      }
      assert.equal(previousEnd, sample.length, `${name}: offsets end at the text's end for ${JSON.stringify(sample)}`);
      // Tokens that are whole characters decode to exactly their span.
      for (let i = 0; i < encoded.ids.length; i++) {
        const span = sample.slice(encoded.offsets[2 * i], encoded.offsets[2 * i + 1]);
        const decoded = tokenizer.decodeToken(encoded.ids[i]!);
        if (!decoded.includes('\uFFFD') && span.length > 0) assert.equal(span.trim(), decoded.trim(), `${name} token ${i}`);
      }
    }
  });
}

test('the tokenizer settings decide whether BOS would be added again', () => {
  assert.equal(contextFor({ model: tokenizerFolder('llama2') }).tokenizer!.addsBos, true);
  assert.equal(contextFor({ model: tokenizerFolder('gemma3') }).tokenizer!.addsBos, true);
  assert.equal(contextFor({ model: tokenizerFolder('qwen3') }).tokenizer!.addsBos, false);
});

test('encoding section by section between control tokens, with the cache and the fast paths, gives the library\'s own ids', () => {
  const specials = ['<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<s>', '</s>', '<bos>', '<start_of_turn>', '<end_of_turn>', '<|im_start|>', '<|im_end|>', '<｜begin▁of▁sentence｜>', '<｜User｜>', '<|endoftext|>'];
  // Rare words take BPE's merge path (remembered pair ranks); ASCII with spaces, tabs, control
  // characters, quotes and backslashes takes the byte-level fast path; the rest takes the library's.
  const pieces = [...SAMPLES, ' ', '\n', '  two spaces', 'tail ', 'héllo', 'x', 'assistant', 'antidisestablishmentarianism', 'floccinaucinihilipilification',
    'qzxv wrrpl', 'say "hi" \\ back\\slash', 'bell\u0007 del\u007f nul\u0000 esc\u001b', '\t\ttabbed\r\n', 'ÿ\u0080mixed ascii'];
  let seed = 11;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (const name of ['llama3', 'llama2', 'qwen3', 'gemma3', 'llama3_1', 'deepseek_v3', 'yi', 'internlm2'] as const) {
    const folder = tokenizerFolder(name);
    const tokenizer = contextFor({ model: folder }).tokenizer!;
    const library = libraryTokenizer({
      tokenizerJson: JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')) as Record<string, unknown>,
      tokenizerConfig: JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
    });
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + next(8) }, () => (next(3) === 0 ? specials[next(specials.length)]! : pieces[next(pieces.length)]!)).join('');
      const expected = library.encode(text, { add_special_tokens: false }).ids;
      assert.deepEqual(tokenizer.encodeIds(text), expected, `${name}: ${JSON.stringify(text)}`);
      // Twice: the second time its sections come from the cache.
      for (const pass of [1, 2]) {
        const encoded = tokenizer.encodeWithOffsets(text);
        assert.deepEqual(encoded.ids, expected, `${name}, pass ${pass}: ${JSON.stringify(text)}`);
        assert.equal(encoded.offsets.length, 2 * encoded.ids.length);
        if (!encoded.approximate) assert.equal(encoded.offsets[encoded.offsets.length - 1], text.length, `${name}: ${JSON.stringify(text)}`);
      }
    }
  }
});
