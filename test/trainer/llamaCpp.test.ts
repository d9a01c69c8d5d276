/**
 * GGUF export checked by llama.cpp itself (node-llama-cpp 3.21.1, prebuilt CPU binary, installed
 * by scripts/setup-reference.sh): the exported file must load, and llama.cpp's next-token
 * distributions must match both the float64 PyTorch reference and our model. Three
 * implementations that share no code agreeing is what rules out a shared misunderstanding.
 * llama.cpp runs with F32 weights, an F32 KV cache and flash attention off, which makes it exact.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { exportGguf } from '../../src/trainer/export/gguf';
import { LlamaModel } from '../../src/trainer/model/llama';
import type { TinyModelOptions } from '../fixtures/tinyModels';
import { ROOT } from '../helpers';
import { REFERENCE_MISSING, reference, tinyModel, useWasm } from './helpers';

const IDS = [1, 415, 2936, 9060, 285, 1142, 349, 264, 1369, 28723];
const LLAMA_CPP = path.join(ROOT, '.cache', 'llama-cpp', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-llama-cpp is loaded from .cache at run time, without its types
let llama: any;

/** Both references must be there: llama.cpp and PyTorch. */
const SKIP = fs.existsSync(LLAMA_CPP) ? REFERENCE_MISSING : 'llama.cpp (node-llama-cpp in .cache/llama-cpp) is not installed: run scripts/setup-reference.sh';

before(async () => {
  await useWasm();
  if (SKIP) return;
  const { getLlama } = (await import(pathToFileURL(LLAMA_CPP).href)) as { getLlama(options: object): Promise<unknown> };
  llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: 'error' });
});

/** llama.cpp's log-probabilities of every token after each position (probabilities are float32). */
async function llamaCppLogprobs(gguf: string, ids: readonly number[]): Promise<Array<Map<number, number>>> {
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 64, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  try {
    const outputs = await context.getSequence().controlledEvaluate(ids.map((id) => [id, { generateNext: { probabilities: true } }]));
    return (outputs as Array<{ next: { probabilities: Map<number, number> } }>).map((o) => new Map([...o.next.probabilities].map(([token, p]) => [token, Math.log(p)])));
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/** Max |Δ| over tokens llama.cpp gives a log-prob above -80 (below that float32 probabilities run out). */
function maxDifferenceFromLlamaCpp(cpp: Array<Map<number, number>>, other: number[][]): number {
  let max = 0;
  cpp.forEach((row, t) => row.forEach((lp, token) => { if (lp > -80) max = Math.max(max, Math.abs(lp - other[t]![token]!)); }));
  return max;
}

const CASES: Array<[string, TinyModelOptions]> = [
  ['llama (Q/K rows permuted for llama.cpp)', { architecture: 'llama', sharpened: true }],
  ['mistral', { architecture: 'mistral', sharpened: true }],
  ['qwen2 (NEOX RoPE, unpermuted, biases)', { architecture: 'qwen2', sharpened: true }],
  ['phi3 (fused qkv and gate_up)', { architecture: 'phi3', sharpened: true }],
  ['llama with Llama 3 RoPE scaling (rope_freqs)', { architecture: 'llama', sharpened: true, llama3Rope: true }],
];

for (const [name, options] of CASES) {
  test(`${name}: the GGUF export runs in llama.cpp and matches the reference and our model within 1e-3`, { skip: SKIP }, async (t) => {
    const dir = tinyModel(options);
    const gguf = path.join(dir, 'model.gguf');
    exportGguf(dir, gguf, { dtype: 'f32' });
    const cpp = await llamaCppLogprobs(gguf, IDS);
    const expected = reference(dir, IDS).logprobs;
    const toReference = maxDifferenceFromLlamaCpp(cpp, expected);
    assert.ok(toReference < 1e-3, `llama.cpp vs PyTorch: ${toReference}`);
    const model = LlamaModel.load(dir);
    const logits = model.forward([IDS]);
    const ours = tf.tidy(() => tf.logSoftmax(logits)).arraySync() as number[][][];
    logits.dispose();
    model.dispose();
    const toOurs = maxDifferenceFromLlamaCpp(cpp, ours[0]!);
    t.diagnostic(`max |Δ log-prob|: llama.cpp vs PyTorch ${toReference.toExponential(2)}, llama.cpp vs SFT Studio ${toOurs.toExponential(2)}`);
    assert.ok(toOurs < 1e-3, `llama.cpp vs SFT Studio: ${toOurs}`);
  });
}

test('an F16 export loads in llama.cpp and keeps every decisive next-token choice', { skip: SKIP }, async () => {
  const dir = tinyModel({ architecture: 'llama', sharpened: true });
  const gguf = path.join(dir, 'model-f16.gguf');
  const { bytes } = exportGguf(dir, gguf, { dtype: 'f16' });
  assert.ok(bytes < fs.statSync(path.join(dir, 'model.safetensors')).size * 0.6, 'F16 halves the weights');
  const cpp = await llamaCppLogprobs(gguf, IDS);
  const expected = reference(dir, IDS).logprobs;
  expected.forEach((row, t) => {
    const sorted = [...row].sort((a, b) => b - a);
    if (sorted[0]! - sorted[1]! <= 0.1) return;
    const top = [...cpp[t]!].sort((a, b) => b[1] - a[1])[0]![0];
    assert.equal(top, row.indexOf(sorted[0]!), `position ${t}`);
  });
});
