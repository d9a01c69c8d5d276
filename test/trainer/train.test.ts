/**
 * The training loop on tiny models: one batch overfits, the tensor count stays flat, gradient
 * checkpointing and packing change nothing in the numbers, and a stopped-then-resumed run
 * retraces an uninterrupted one step for step.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { resolveTrainConfig } from '../../src/common/resolveTrainConfig';
import type { LoraSettings, TrainConfig } from '../../src/common/trainConfig';
import type { StepEvent } from '../../src/common/trainerProtocol';
import { loadExampleContext } from '../../src/dataset/load/exampleContext';
import { isRuleCode } from '../../src/dataset/rules';
import { LlamaModel } from '../../src/trainer/model/llama';
import { attachLora } from '../../src/trainer/model/lora';
import { EventLog, readRunEvents } from '../../src/trainer/runFolder';
import { loadDataset, makeBatch, type TrainingExample } from '../../src/trainer/train/batches';
import { runTraining } from '../../src/trainer/train/loop';
import { AdamW } from '../../src/trainer/train/optimizer';
import { evaluate, trainStep } from '../../src/trainer/train/step';
import { scratchDir, tinyModel, useWasm } from './helpers';

before(() => useWasm());

const LORA: LoraSettings = { r: 8, lora_alpha: 16, lora_dropout: 0, target_modules: 'all-linear', bias: 'none', use_rslora: false };
const example = (ids: number[], firstTrained: number, line = 0): TrainingExample => ({ ids, trained: Uint8Array.from(ids, (_, i) => (i >= firstTrained ? 1 : 0)), line });
const EXAMPLES = [example([1, 415, 2936, 9060, 285, 1142, 349, 264], 4), example([1, 1369, 28723, 851, 6084, 2], 3, 1), example([1, 22557, 28808, 420, 28742, 28715, 339, 28808, 2], 5, 2)];
const STEP = { learningRate: 1e-2, maxGradNorm: 1, gradientCheckpointing: false, dropoutSeed: 1 };

test('one batch overfits: the loss falls below a tenth of its start', async () => {
  const model = LlamaModel.load(tinyModel({ architecture: 'llama', embeddingStd: 0.2, linearStd: 0.08 }));
  const adapter = attachLora(model, LORA, 3);
  const optimizer = new AdamW(adapter.variables(), adapter.variableNames(), 0);
  const batch = makeBatch(EXAMPLES.map((e) => [e]), 0);
  const losses: number[] = [];
  for (let i = 0; i < 40; i++) losses.push((await trainStep(model, adapter, optimizer, [batch], STEP)).loss);
  assert.ok(losses[39]! < losses[0]! / 10, `loss ${losses[0]} -> ${losses[39]}`);
  optimizer.dispose();
  adapter.detach();
  model.dispose();
});

test('the tensor count stays flat across steps, evaluation and dropout', async () => {
  const model = LlamaModel.load(tinyModel({ architecture: 'qwen2' }));
  const adapter = attachLora(model, { ...LORA, lora_dropout: 0.1 }, 3);
  const optimizer = new AdamW(adapter.variables(), adapter.variableNames(), 0.01);
  const batch = makeBatch(EXAMPLES.map((e) => [e]), 0);
  await trainStep(model, adapter, optimizer, [batch, batch], { ...STEP, gradientCheckpointing: true });
  await evaluate(model, adapter, [batch]);
  const count = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await trainStep(model, adapter, optimizer, [batch, batch], { ...STEP, gradientCheckpointing: i % 2 === 0, dropoutSeed: i });
    await evaluate(model, adapter, [batch]);
  }
  assert.equal(tf.memory().numTensors, count);
  optimizer.dispose();
  adapter.detach();
  model.dispose();
});

async function lossesWith(options: { checkpointing: boolean; packed: boolean; dropout: number }): Promise<number[]> {
  const model = LlamaModel.load(tinyModel({ architecture: 'mistral', sharpened: true }));
  const adapter = attachLora(model, { ...LORA, lora_dropout: options.dropout }, 3);
  const optimizer = new AdamW(adapter.variables(), adapter.variableNames(), 0);
  const batch = options.packed ? makeBatch([EXAMPLES], 0) : makeBatch(EXAMPLES.map((e) => [e]), 0);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await trainStep(model, adapter, optimizer, [batch], { ...STEP, learningRate: 1e-3, gradientCheckpointing: options.checkpointing, dropoutSeed: i })).loss);
  optimizer.dispose();
  adapter.detach();
  model.dispose();
  return losses;
}

test('gradient checkpointing gives the same losses, dropout included', async () => {
  const plain = await lossesWith({ checkpointing: false, packed: false, dropout: 0.1 });
  const checkpointed = await lossesWith({ checkpointing: true, packed: false, dropout: 0.1 });
  plain.forEach((loss, i) => assert.ok(Math.abs(loss - checkpointed[i]!) < 1e-5, `step ${i}: ${loss} vs ${checkpointed[i]}`));
  assert.ok(plain[2]! < plain[0]!);
});

test('packing examples into one row gives the losses of padding them: no attention across examples', async () => {
  const padded = await lossesWith({ checkpointing: false, packed: false, dropout: 0 });
  const packed = await lossesWith({ checkpointing: false, packed: true, dropout: 0 });
  padded.forEach((loss, i) => assert.ok(Math.abs(loss - packed[i]!) < 1e-4, `step ${i}: ${loss} vs ${packed[i]}`));
});

test('labels follow the next-token convention: a target where the next token is trained, never across examples', () => {
  const batch = makeBatch([[example([1, 10, 11, 12], 2), example([1, 20, 21], 1)], [example([1, 30], 1)]], 0);
  assert.deepEqual(batch.ids, [[1, 10, 11, 12, 1, 20, 21], [1, 30, 0, 0, 0, 0, 0]]);
  assert.deepEqual(batch.segments, [[0, 0, 0, 0, 1, 1, 1], [0, 0, -1, -1, -1, -1, -1]]);
  assert.deepEqual(batch.positions, [[0, 1, 2, 3, 0, 1, 2], [0, 1, 0, 0, 0, 0, 0]]);
  // Row 0: positions 1, 2 predict 11, 12; position 4 (the second BOS) predicts 20 and 5 predicts 21.
  assert.deepEqual([...batch.targetRows], [1, 2, 4, 5, 7]);
  assert.deepEqual([...batch.targetIds], [11, 12, 20, 21, 30]);
});

/** Runs the loop on a small dataset file; `stopAt` requests a stop after that many steps. */
async function train(runDir: string, overrides: string[], options: { stopAt?: number; resumeFrom?: string } = {}): Promise<StepEvent[]> {
  const modelDir = tinyModel({ architecture: 'llama', tokenizer: 'llama3', embeddingStd: 0.2 });
  const dataset = path.join(runDir, '..', 'data.sft.jsonl');
  const lines = ['What\'s 2+2?', 'Hello!', 'How are you?', 'Thanks!', 'Bye!', 'What\'s 3+3?']
    .map((q, i) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: `Reply ${i}, mate.` }] }));
  fs.writeFileSync(dataset, `${lines.join('\n')}\n{"broken": \n`);
  const resolved = resolveTrainConfig({ model: modelDir, dataset, output_dir: runDir }, overrides, isRuleCode, runDir);
  assert.ok(resolved.ok);
  const config: TrainConfig = resolved.config;
  const { context } = loadExampleContext({ modelDir, templateBase: modelDir, maxLength: config.max_length });
  fs.mkdirSync(runDir, { recursive: true });
  const events = new EventLog(runDir);
  let steps = 0;
  await runTraining({
    config, modelDir, context, runDir, events, backend: { name: 'wasm', skipped: [] },
    ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
    shouldStop: () => options.stopAt !== undefined && steps >= options.stopAt,
    takeSampleRequests: () => [],
    onStep: () => { steps++; },
  });
  events.close();
  return readRunEvents(runDir).filter((e): e is StepEvent => e.type === 'step');
}

test('a stopped run saves within one step, and resuming retraces an uninterrupted run', async () => {
  const settings = ['training.max_steps=6', 'training.per_device_train_batch_size=2', 'training.gradient_accumulation_steps=2', 'training.logging_steps=1',
    'training.learning_rate=5e-3', 'lora.lora_dropout=0.1', 'training.save_strategy=no', 'training.warmup_ratio=0.2'];
  const root = scratchDir('resume');
  const whole = await train(path.join(root, 'whole'), settings);
  assert.equal(whole.length, 6);
  const interruptedDir = path.join(root, 'interrupted');
  const first = await train(interruptedDir, settings, { stopAt: 3 });
  assert.equal(first.length, 3);
  const events = readRunEvents(interruptedDir);
  assert.deepEqual(events.slice(-2).map((e) => e.type), ['checkpoint', 'stopped']);
  assert.ok(fs.existsSync(path.join(interruptedDir, 'final', 'adapter_model.safetensors')));
  assert.equal(events.find((e) => e.type === 'started' && e.dataset.skipped === 1) !== undefined, true, 'the broken line is skipped and counted');
  const resumed = await train(interruptedDir, settings, { resumeFrom: path.join(interruptedDir, 'checkpoint-3') });
  const all = readRunEvents(interruptedDir).filter((e): e is StepEvent => e.type === 'step');
  assert.deepEqual(all.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
  assert.equal(resumed.length, 6);
  whole.forEach((event, i) => {
    assert.ok(Math.abs(event.loss - all[i]!.loss) < 1e-6, `step ${event.step}: ${event.loss} vs ${all[i]!.loss}`);
    assert.ok(Math.abs(event.learning_rate - all[i]!.learning_rate) < 1e-12);
  });
  assert.ok(whole[5]!.loss < whole[0]!.loss, 'the loss falls');
});

test('assistant_only_loss false trains every token, so a reply cut by max_length still trains its prompt', () => {
  const modelDir = tinyModel({ architecture: 'llama', tokenizer: 'llama3' });
  const dir = scratchDir('all-tokens');
  const file = path.join(dir, 'data.sft.jsonl');
  fs.writeFileSync(file, `${JSON.stringify({ messages: [{ role: 'user', content: 'word '.repeat(40) }, { role: 'assistant', content: 'ok' }] })}\n`);
  const { context } = loadExampleContext({ modelDir, templateBase: dir, maxLength: 20 });
  const assistantOnly = loadDataset(file, context, true);
  assert.equal(assistantOnly.examples.length, 0);
  assert.equal(assistantOnly.skipped[0]!.finding.code, 'length/truncated-all');
  const everything = loadDataset(file, context, false);
  assert.equal(everything.examples.length, 1);
  assert.equal(everything.trainedTokens, 20);
  assert.ok(everything.examples[0]!.trained.every((t) => t === 1));
});
