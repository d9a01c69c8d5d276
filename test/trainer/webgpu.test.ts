/**
 * The WebGPU path gives the same numbers as WASM, proved on a software Vulkan device (Mesa's
 * lavapipe, installed by scripts/setup-webgpu.sh) before it ever meets a GPU: the same model,
 * run by `sft-studio forward` on each backend, within 1e-3 in log-probabilities, and the same
 * training run logging the same losses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseEvents } from '../../src/common/trainerProtocol';
import type { TinyModelOptions } from '../fixtures/tinyModels';
import { ROOT } from '../helpers';
import { logSoftmaxRows, scratchDir, tinyModel } from './helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');
const IDS = '1,415,2936,9060,285,1142,349,264,1369,28723';

function logprobs(model: string, backend: string): number[][] {
  const result = spawnSync(process.execPath, [BIN, 'forward', '--model', model, '--ids', IDS, '--backend', backend, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, `${backend}: ${result.stderr} (on a machine without a GPU, run scripts/setup-webgpu.sh for a software Vulkan device)`);
  assert.match(result.stderr, new RegExp(`^backend: ${backend}$`, 'm'));
  assert.doesNotMatch(result.stderr, /^Warning: /m, 'Dawn\'s adapter warnings are not shown to the user');
  return logSoftmaxRows((JSON.parse(result.stdout) as { logits: number[][] }).logits);
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

test('training on WebGPU logs the losses and gradient norms WASM logs, step for step', () => {
  const dir = tinyModel({ architecture: 'llama', tokenizer: 'llama3', embeddingStd: 0.2, linearStd: 0.08 });
  const work = scratchDir('webgpu-train');
  const lines = ["What's 2+2?", 'Hello!', 'How are you?', 'Thanks!'].map((q, i) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: `Answer ${i}, mate.` }] }));
  fs.writeFileSync(path.join(work, 'data.sft.jsonl'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(work, 'sft-studio.json'), JSON.stringify({
    model: dir, dataset: 'data.sft.jsonl', lora: { r: 4, lora_dropout: 0, target_modules: 'all-linear' },
    training: { max_steps: 3, per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 1e-3, logging_steps: 1, save_strategy: 'no' },
    samples: { prompts: [] },
  }));
  const steps = (backend: string): Array<{ loss: number; grad_norm: number }> => {
    const result = spawnSync(process.execPath, [BIN, 'train', '--backend', backend, '--output-dir', `runs/${backend}`], { cwd: work, encoding: 'utf8' });
    assert.equal(result.status, 0, `${backend}: ${result.stderr}`);
    return parseEvents(fs.readFileSync(path.join(work, 'runs', backend, 'events.ndjson'), 'utf8')).flatMap((e) => (e.type === 'step' ? [e] : []));
  };
  const wasm = steps('wasm');
  const webgpu = steps('webgpu');
  assert.equal(wasm.length, 3);
  // Loss and gradient norm (clipping included) step for step: a backend that mis-sums gradients
  // shows here (WebGPU's AddN once returned zeros past its buffer limit).
  wasm.forEach((step, i) => {
    assert.ok(Math.abs(step.loss - webgpu[i]!.loss) < 1e-3 * step.loss, `step ${i + 1} loss: wasm ${step.loss}, webgpu ${webgpu[i]!.loss}`);
    assert.ok(Math.abs(step.grad_norm - webgpu[i]!.grad_norm) < 1e-3 * step.grad_norm, `step ${i + 1} grad norm: wasm ${step.grad_norm}, webgpu ${webgpu[i]!.grad_norm}`);
  });
});
