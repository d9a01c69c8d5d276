/** `sft-studio forward` and `generate` as scripts use them, through the built CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers';
import { REFERENCE_MISSING, logSoftmaxRows, maxDifference, reference, tinyModel } from './helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

test('forward prints the logits at every position, matching the reference', { skip: REFERENCE_MISSING }, () => {
  const dir = tinyModel({ architecture: 'qwen2', sharpened: true });
  const ids = [1, 415, 2936, 9060];
  const { code, stdout, stderr } = run(['forward', '--model', dir, '--ids', ids.join(','), '--format', 'json']);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^backend: (wasm|webgpu)$/m);
  assert.match(stderr, /^tensorflow skipped: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/m);
  const logits = (JSON.parse(stdout) as { logits: number[][] }).logits;
  assert.equal(logits.length, ids.length);
  const difference = maxDifference(logSoftmaxRows(logits), reference(dir, ids).logprobs);
  assert.ok(difference < 1e-3, `max |Δ log-prob| ${difference}`);
});

test('generate formats the prompt with the chat template and is reproducible with a seed', () => {
  const dir = tinyModel({ architecture: 'llama', sharpened: true });
  const args = ['generate', '--model', dir, '--messages', '[{"role": "user", "content": "Define dog."}]', '--max-new-tokens', '6', '--temperature', '0.8', '--top-p', '0.9', '--seed', '5'];
  const first = run(args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /\d+ prompt tokens in [\d.]+ s; 6 new tokens at [\d.]+ tokens\/s; stopped by max-new-tokens/);
  assert.equal(run(args).stdout, first.stdout);
  assert.ok(first.stdout.trim().length > 0);
});

test('bad generate and forward input exits 2 with a message', () => {
  const dir = tinyModel({ architecture: 'llama' });
  const cases: Array<[string[], RegExp]> = [
    [['generate', '--prompt', 'hi'], /needs --model/],
    [['generate', '--model', dir], /exactly one of --prompt TEXT or --messages JSON/],
    [['generate', '--model', dir, '--messages', '[oops'], /--messages is not valid JSON/],
    [['generate', '--model', dir, '--prompt', 'x', '--temperature', '-1'], /--temperature must be a number from 0/],
    [['generate', '--model', dir, '--prompt', 'x', '--backend', 'tensorflow'], /No backend could start: tensorflow: neither/],
    [['forward', '--model', dir, '--ids', '1,x'], /comma-separated token ids/],
    [['forward', '--model', dir, '--ids', '99999'], /outside the vocabulary/],
    [['forward', '--model', path.join(dir, 'nope'), '--ids', '1'], /has no config.json/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = run(args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message, args.join(' '));
  }
});

test('export-gguf writes a GGUF file and never overwrites one without --force', () => {
  const dir = tinyModel({ architecture: 'qwen2' });
  const out = path.join(dir, 'cli.gguf');
  const first = run(['export-gguf', '--model', dir, '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /cli\.gguf: \d+ tensors, [\d.]+ MB \(f32\)/);
  const bytes = fs.readFileSync(out);
  assert.equal(bytes.subarray(0, 4).toString('ascii'), 'GGUF');
  assert.equal(bytes.readUInt32LE(4), 3);
  const again = run(['export-gguf', '--model', dir, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists/);
  assert.equal(run(['export-gguf', '--model', dir, '--out', out, '--force', '--dtype', 'f16']).code, 0);
  assert.match(run(['export-gguf', '--model', dir, '--out', out, '--force', '--dtype', 'q4']).stderr, /--dtype must be one of f32, f16/);
});
