import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, sample, seededRandom } from '../../src/trainer/generate';
import { generate } from '../../src/trainer/generate';
import { LlamaModel } from '../../src/trainer/model/llama';
import { loadPromptContext, preparePrompt } from '../../src/trainer/prompt';
import { tinyModel, useWasm } from './helpers';

test('top-p keeps only the nucleus; temperature sharpens or flattens', () => {
  const logits = Float32Array.from([5, 4, 0, -10]);
  const random = seededRandom(1);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) counts[sample(logits, 1, 0.9, random)]!++;
  assert.equal(counts[2]! + counts[3]!, 0, 'tokens outside the 90% nucleus are never drawn');
  assert.ok(counts[0]! > counts[1]! && counts[1]! > 0);
  const cold = [0, 0, 0, 0];
  for (let i = 0; i < 500; i++) cold[sample(logits, 0.05, 1, random)]!++;
  assert.equal(cold[0], 500);
  assert.equal(argmax(logits), 0);
});

test('generation stops at the template\'s end-of-turn and EOS tokens', async () => {
  await useWasm();
  const dir = tinyModel({ architecture: 'mistral', sharpened: true });
  const model = LlamaModel.load(dir);
  const context = loadPromptContext(dir);
  const prompt = preparePrompt(context, { prompt: 'Hi' }, model.config.eosTokenIds);
  assert.ok(prompt.text.startsWith('<s>[INST] Hi [/INST]'), prompt.text);
  assert.equal(prompt.ids[0], 1, 'BOS comes from the template, once');
  assert.equal(prompt.ids.filter((id) => id === 1).length, 1);
  assert.ok(prompt.stopIds.has(2), '</s> stops generation');
  const free = await generate(model, prompt.ids, { maxNewTokens: 3, temperature: 0, topP: 1, stopIds: new Set(), seed: 1 });
  const stopped = await generate(model, prompt.ids, { maxNewTokens: 3, temperature: 0, topP: 1, stopIds: new Set([free.ids[0]!]), seed: 1 });
  assert.deepEqual([stopped.ids, stopped.stoppedBy], [[], 'stop-token']);
  assert.equal(free.stoppedBy, 'max-new-tokens');
  model.dispose();
});
