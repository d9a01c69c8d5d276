/**
 * LoRA as peft defines it, proved against implementations that share no code with ours: the
 * float64 PyTorch reference runs the saved PEFT adapter beside the frozen weights; gradients
 * against finite differences; save -> load and merge against the unmerged adapter.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { LoraSettings } from '../../src/common/trainConfig';
import { seededRandom } from '../../src/trainer/generate';
import { loadModelWithAdapter } from '../../src/trainer/loadModel';
import { Nf4Linear } from '../../src/trainer/model/layers';
import { disposeTables, LlamaModel } from '../../src/trainer/model/llama';
import { attachLora, type LoraAdapter } from '../../src/trainer/model/lora';
import { dequantizeNf4, quantizeNf4 } from '../../src/trainer/model/nf4';
import { mergeAdapter } from '../../src/trainer/merge';
import { loadAdapter, saveAdapter } from '../../src/trainer/peftAdapter';
import { makeBatch } from '../../src/trainer/train/batches';
import { targetCrossEntropy } from '../../src/trainer/train/loss';
import type { TinyModelOptions } from '../fixtures/tinyModels';
import { REFERENCE_MISSING, logprobsOf, maxDifference, reference, scratchDir, tinyModel, useWasm } from './helpers';

const IDS = [1, 415, 2936, 9060, 285, 1142, 349, 264, 1369, 28723, 851, 6084];
const LORA: LoraSettings = { r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'], bias: 'none', use_rslora: false };

before(() => useWasm());

/** B starts at zero, so a fresh adapter changes nothing; tests give it random B to see it act. */
function randomizeB(adapter: LoraAdapter, seed: number, std = 0.3): void {
  const random = seededRandom(seed);
  for (const { lora } of adapter.modules) {
    const values = Float32Array.from({ length: lora.loraBT.size }, () => (random() * 2 - 1) * std);
    tf.tidy(() => lora.loraBT.assign(tf.tensor2d(values, lora.loraBT.shape)));
  }
}

async function adaptedModel(options: TinyModelOptions, lora: LoraSettings = LORA): Promise<{ dir: string; model: LlamaModel; adapter: LoraAdapter; adapterDir: string }> {
  const dir = tinyModel(options);
  const model = LlamaModel.load(dir);
  const adapter = attachLora(model, lora, 5);
  randomizeB(adapter, 6);
  const adapterDir = scratchDir('adapter');
  await saveAdapter(adapterDir, adapter, { lora, baseModel: dir, modelDir: dir });
  return { dir, model, adapter, adapterDir };
}

test('a fresh adapter is peft\'s: A Kaiming-uniform within 1/sqrt(in), B zero, only A and B trainable', { skip: REFERENCE_MISSING }, async () => {
  const dir = tinyModel({ architecture: 'llama' });
  const model = LlamaModel.load(dir);
  const before = await logprobsOf(model, IDS);
  const adapter = attachLora(model, { ...LORA, target_modules: 'all-linear' }, 1);
  assert.equal(adapter.modules.length, 2 * 7);
  for (const { lora } of adapter.modules) {
    const a = await lora.loraAT.data();
    const bound = 1 / Math.sqrt(lora.inFeatures);
    assert.ok(a.every((v) => Math.abs(v) <= bound) && a.some((v) => Math.abs(v) > bound / 2));
    assert.ok((await lora.loraBT.data()).every((v) => v === 0));
    assert.equal(lora.scaling, 2);
  }
  assert.equal(adapter.trainableParameters(), adapter.modules.reduce((n, m) => n + 4 * (m.lora.inFeatures + m.lora.outFeatures), 0));
  assert.equal(maxDifference(await logprobsOf(model, IDS), before), 0, 'B = 0: the adapted model is the base model');
  adapter.detach();
  model.dispose();
});

for (const [name, options, lora] of [
  ['llama', { architecture: 'llama', sharpened: true }, LORA],
  ['qwen2 (biases) with rsLoRA on every linear layer', { architecture: 'qwen2', sharpened: true }, { ...LORA, use_rslora: true, target_modules: 'all-linear' }],
] as Array<[string, TinyModelOptions, LoraSettings]>) {
  test(`${name}: the LoRA forward pass matches PyTorch running the saved PEFT adapter, within 1e-3`, { skip: REFERENCE_MISSING }, async (t) => {
    const { dir, model, adapter, adapterDir } = await adaptedModel(options, lora);
    const ours = await logprobsOf(model, IDS);
    const base = reference(dir, IDS).logprobs;
    const expected = reference(dir, IDS, 0, adapterDir).logprobs;
    const difference = maxDifference(ours, expected);
    t.diagnostic(`max |Δ log-prob| vs PyTorch with the adapter: ${difference.toExponential(2)}; the adapter moves log-probs by ${maxDifference(base, expected).toFixed(2)}`);
    assert.ok(maxDifference(base, expected) > 0.1, 'the adapter changes the output, so the comparison can fail');
    assert.ok(difference < 1e-3, `max |Δ log-prob| = ${difference}`);
    adapter.detach();
    model.dispose();
  });
}

test('the adapter folder is peft\'s layout, and saving then loading gives identical logits', async () => {
  const { dir, model, adapter, adapterDir } = await adaptedModel({ architecture: 'llama', sharpened: true });
  const config = JSON.parse(fs.readFileSync(path.join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config['peft_type'], 'LORA');
  assert.equal(config['task_type'], 'CAUSAL_LM');
  assert.deepEqual([config['r'], config['lora_alpha'], config['bias'], config['use_rslora']], [4, 8, 'none', false]);
  assert.deepEqual(config['target_modules'], ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj']);
  const loaded = loadAdapter(adapterDir);
  assert.equal(loaded.weights.size, 10);
  const q = loaded.weights.get('model.layers.0.self_attn.q_proj')!;
  assert.deepEqual([q.rank, q.inFeatures, q.outFeatures], [4, 64, 64]);
  const ours = await logprobsOf(model, IDS);
  const reloaded = loadModelWithAdapter(dir, adapterDir).model;
  assert.equal(maxDifference(await logprobsOf(reloaded, IDS), ours), 0);
  reloaded.dispose();
  adapter.detach();
  model.dispose();
});

test('merging gives the adapted model\'s log-probs within 1e-4, in float32; bf16 merges load too', async (t) => {
  // Not sharpened: its log-probs are small enough for float32 rounding to stay far below 1e-4.
  const { dir, model, adapter, adapterDir } = await adaptedModel({ architecture: 'mistral', embeddingStd: 0.2, linearStd: 0.1 });
  const adapted = await logprobsOf(model, IDS);
  const base = LlamaModel.load(dir);
  const moved = maxDifference(await logprobsOf(base, IDS), adapted);
  base.dispose();
  assert.ok(moved > 0.05, `the adapter moves log-probs by ${moved}`);
  const out = scratchDir('merged');
  const result = mergeAdapter(dir, adapterDir, out, 'f32');
  assert.equal(result.mergedModules, 10);
  const merged = LlamaModel.load(out);
  const difference = maxDifference(await logprobsOf(merged, IDS), adapted);
  t.diagnostic(`merged vs adapter: max |Δ log-prob| ${difference.toExponential(2)} (the adapter moves them by ${moved.toFixed(2)})`);
  assert.ok(difference < 1e-4, `${difference}`);
  assert.ok(fs.existsSync(path.join(out, 'tokenizer.json')) && fs.existsSync(path.join(out, 'config.json')));
  merged.dispose();
  const bf16 = scratchDir('merged-bf16');
  mergeAdapter(dir, adapterDir, bf16, 'bf16');
  assert.equal(JSON.parse(fs.readFileSync(path.join(bf16, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const half = LlamaModel.load(bf16);
  assert.ok(maxDifference(await logprobsOf(half, IDS), adapted) < 0.5);
  half.dispose();
  adapter.detach();
  model.dispose();
});

test('an adapter for another model is refused with a message that says so', async () => {
  const { adapterDir, adapter, model } = await adaptedModel({ architecture: 'llama', sharpened: true });
  const other = tinyModel({ architecture: 'llama', shape: { hidden: 32, intermediate: 64, heads: 2, kvHeads: 1 } });
  assert.throws(() => loadModelWithAdapter(other, adapterDir), /belongs to another model/);
  assert.throws(() => mergeAdapter(other, adapterDir, scratchDir('bad-merge'), 'f32'), /belongs to another model/);
  assert.throws(() => loadAdapter(path.dirname(adapterDir)), /has no adapter_config.json/);
  adapter.detach();
  model.dispose();
});

test('LoRA gradients match central finite differences', async () => {
  const dir = tinyModel({ architecture: 'llama', sharpened: true });
  const model = LlamaModel.load(dir);
  const adapter = attachLora(model, LORA, 5);
  randomizeB(adapter, 7, 0.1);
  const batch = makeBatch([[{ ids: IDS.slice(0, 8), trained: Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 1]), line: 0 }]], 0);
  const tables = model.batchTables(batch);
  const lossNow = async (): Promise<number> => {
    const loss = tf.tidy(() => targetCrossEntropy(model.trainingHidden(batch, tables), model.lmHead, batch.targetRows, batch.targetIds));
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
  const variables = adapter.variables();
  const { grads, value } = tf.variableGrads(() => targetCrossEntropy(model.trainingHidden(batch, tables), model.lmHead, batch.targetRows, batch.targetIds), variables);
  value.dispose();
  let checked = 0;
  for (const variable of [variables[0]!, variables[1]!, variables[7]!]) {
    const gradient = await grads[variable.name]!.data();
    const values = Float32Array.from(await variable.data());
    // The three largest components: finite differences resolve them well above float32 noise.
    const largest = [...gradient.keys()].sort((a, b) => Math.abs(gradient[b]!) - Math.abs(gradient[a]!)).slice(0, 3);
    for (const index of largest) {
      const eps = 1e-2;
      const probe = async (delta: number): Promise<number> => {
        const changed = Float32Array.from(values);
        changed[index] = values[index]! + delta;
        tf.tidy(() => variable.assign(tf.tensor(changed, variable.shape)));
        return lossNow();
      };
      const numeric = ((await probe(eps)) - (await probe(-eps))) / (2 * eps);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      assert.ok(Math.abs(numeric - gradient[index]!) <= 0.03 * Math.abs(gradient[index]!) + 2e-3, `${variable.name}[${index}]: analytic ${gradient[index]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.equal(checked, 9);
  for (const g of Object.values(grads)) g.dispose();
  disposeTables(tables);
  adapter.detach();
  model.dispose();
});

test('QLoRA: an NF4 layer computes x W^T with the dequantized weights, and its input gradient dy W', async () => {
  const random = seededRandom(3);
  const weights = Float32Array.from({ length: 48 * 80 }, () => (random() * 2 - 1) * 0.05);
  const layer = new Nf4Linear(weights, 48, 80, true);
  const dequantized = dequantizeNf4(quantizeNf4(weights, [48, 80], true));
  const x = tf.randomNormal([5, 80], 0, 1, 'float32', 4) as tf.Tensor2D;
  const w = tf.tensor2d(dequantized, [48, 80]);
  const expected = tf.matMul(x, w, false, true);
  assert.ok(maxDifference((await layer.apply(x).array()) as number[][], (await expected.array()) as number[][]) < 1e-5);
  const dy = tf.randomNormal([5, 48], 0, 1, 'float32', 5);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input as tf.Tensor2D), dy)))(x);
  assert.ok(maxDifference((await dx.array()) as number[][], (await tf.matMul(dy, w).array()) as number[][]) < 1e-5);
  assert.ok(layer.storedBytes < (48 * 80 * 4) / 7, `${layer.storedBytes} bytes for ${48 * 80} weights`);
  for (const t of [x, w, expected, dy, dx]) t.dispose();
});
