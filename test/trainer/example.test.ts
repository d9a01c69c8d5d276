/**
 * `sft-studio example`: the walkthrough's project is clean under its own model's template and
 * tokenizer, trains, and its blank model's byte-level tokenizer round-trips any text.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseEvents } from '../../src/common/trainerProtocol';
import { loadExampleContext } from '../../src/dataset/load/exampleContext';
import { byteLevelAlphabet } from '../../src/trainer/blankModel';
import { ROOT } from '../helpers';
import { scratchDir } from './helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');
const cli = (args: string[], cwd: string): { code: number; stdout: string; stderr: string } => {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
};

test('the example project checks clean, trains with the loss falling, and is never written over', () => {
  const dir = path.join(scratchDir('example'), 'my example');
  const written = cli(['example', dir], ROOT);
  assert.equal(written.code, 0, written.stderr);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['aussie-eval.sft.jsonl', 'aussie.sft.jsonl', 'model', 'sft-studio.json']);
  const check = cli(['check', 'aussie.sft.jsonl', 'aussie-eval.sft.jsonl'], dir);
  assert.deepEqual([check.code, check.stdout, check.stderr], [0, '', ''], 'no error, no warning, no note');
  const trained = cli(['train', '--output-dir', 'runs/one', '--backend', 'wasm'], dir);
  assert.equal(trained.code, 0, trained.stderr);
  const steps = parseEvents(fs.readFileSync(path.join(dir, 'runs', 'one', 'events.ndjson'), 'utf8')).flatMap((e) => (e.type === 'step' ? [e.loss] : []));
  assert.equal(steps.length, 27, 'one epoch of 108 examples in batches of 4');
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(steps.slice(-5)) < mean(steps.slice(0, 5)) - 2, `the loss falls: ${steps.map((l) => l.toFixed(2)).join(' ')}`);
  const again = cli(['example', dir], ROOT);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a project \(sft-studio\.json\); choose another folder/);
});

test('the blank model\'s tokenizer encodes every byte and decodes back to the text', () => {
  const dir = path.join(scratchDir('example-tokenizer'), 'p');
  assert.equal(cli(['example', dir], ROOT).code, 0);
  assert.equal(new Set(byteLevelAlphabet()).size, 256);
  const tokenizer = loadExampleContext({ modelDir: path.join(dir, 'model'), maxLength: 128, templateBase: dir }).context.tokenizer!;
  for (const text of ["G'day, mate!", 'naïve — 日本語 🦘', 'tabs\tand\nnewlines', '<|im_start|>user\nHi<|im_end|>\n']) {
    const ids = tokenizer.encodeWithSpecialTokens(text);
    assert.equal(tokenizer.decode(ids), text, text);
  }
  assert.equal(tokenizer.encodeWithSpecialTokens('<|im_end|>').length, 1, 'the chat markers are single special tokens');
  assert.equal(tokenizer.encodeIds('🦘').length, 4, 'one token per byte');
});
