/**
 * The WebGPU path gives the same numbers as WASM, proved on a software Vulkan device (Mesa's
 * lavapipe, installed by scripts/setup-webgpu.sh) before it ever meets a GPU: the same model,
 * run by `sft-studio forward` on each backend, within 1e-3 in log-probabilities.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { TinyModelOptions } from '../fixtures/tinyModels';
import { ROOT } from '../helpers';
import { tinyModel } from './helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');
const IDS = '1,415,2936,9060,285,1142,349,264,1369,28723';

function logprobs(model: string, backend: string): number[][] {
  const result = spawnSync(process.execPath, [BIN, 'forward', '--model', model, '--ids', IDS, '--backend', backend, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, `${backend}: ${result.stderr} (on a machine without a GPU, run scripts/setup-webgpu.sh for a software Vulkan device)`);
  assert.match(result.stderr, new RegExp(`^backend: ${backend}$`, 'm'));
  return (JSON.parse(result.stdout) as { logits: number[][] }).logits.map((row) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    return row.map((v) => v - logSumExp);
  });
}

const CASES: Array<[string, TinyModelOptions]> = [
  ['llama', { architecture: 'llama', sharpened: true }],
  ['qwen2', { architecture: 'qwen2', sharpened: true }],
  ['phi3', { architecture: 'phi3', sharpened: true }],
  ['llama with Llama 3 RoPE scaling', { architecture: 'llama', sharpened: true, llama3Rope: true }],
];

for (const [name, options] of CASES) {
  test(`${name}: WebGPU and WASM agree within 1e-3 in log-probabilities`, (t) => {
    const dir = tinyModel(options);
    const wasm = logprobs(dir, 'wasm');
    const webgpu = logprobs(dir, 'webgpu');
    let max = 0;
    wasm.forEach((row, t) => row.forEach((value, i) => { max = Math.max(max, Math.abs(value - webgpu[t]![i]!)); }));
    t.diagnostic(`max |Δ log-prob| WebGPU vs WASM: ${max.toExponential(2)}`);
    assert.ok(max < 1e-3, `max |Δ log-prob| = ${max}`);
  });
}

test('auto uses a hardware GPU, or skips WebGPU in favour of WASM and says why', () => {
  const dir = tinyModel({ architecture: 'llama' });
  const result = spawnSync(process.execPath, [BIN, 'forward', '--model', dir, '--ids', '1', '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, result.stderr);
  if (/^backend: webgpu$/m.test(result.stderr)) return; // a machine with a real GPU
  assert.match(result.stderr, /^backend: wasm$/m);
  assert.match(result.stderr, /webgpu skipped: (no GPU device was found \(\/dev\/dri, \/dev\/nvidia0\)|only a software WebGPU adapter \(.+\) is available, which is slower than WASM)/);
  assert.doesNotMatch(result.stderr, /Warning: maxDynamic/, 'Dawn is not even started without a GPU device');
});
