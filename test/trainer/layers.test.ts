import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { FrozenLinear } from '../../src/trainer/model/layers';
import { generate } from '../../src/trainer/generate';
import { LlamaModel } from '../../src/trainer/model/llama';
import { tinyModel, useWasm } from './helpers';

before(() => useWasm());

test('FrozenLinear: y = x W^T + b, and its gradient dy W needs no transposed matMul', () => {
  const w = tf.tensor2d([[1, 2, 3], [4, 5, 6]]); // (out 2, in 3)
  const b = tf.tensor1d([0.5, -1]);
  const linear = new FrozenLinear(tf.transpose(w) as tf.Tensor2D, b);
  const x = tf.tensor2d([[1, 0, -1], [2, 1, 0]]); // (N 2, in 3)
  assert.deepEqual(linear.apply(x).arraySync(), [[-1.5, -3], [4.5, 12]]);
  const dy = tf.tensor2d([[1, 2], [3, -1]]);
  // Every kernel the forward and backward pass runs, with its attributes.
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  const kernels: Array<{ name: string; attrs: Record<string, unknown> }> = [];
  engine.runKernel = ((name: string, inputs: tf.NamedTensorMap, attrs?: Record<string, unknown>) => {
    kernels.push({ name, attrs: attrs ?? {} });
    return runKernel(name, inputs, attrs as never);
  }) as typeof engine.runKernel;
  let dx: tf.Tensor;
  try {
    dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(linear.apply(input as tf.Tensor2D), dy)))(x);
  } finally {
    engine.runKernel = runKernel;
  }
  assert.deepEqual(dx.arraySync(), tf.matMul(dy, w).arraySync()); // dL/dx = dy W
  const matMuls = kernels.filter((k) => k.name === 'BatchMatMul');
  assert.ok(matMuls.length >= 2, `forward and backward matMuls seen: ${matMuls.length}`);
  assert.deepEqual(matMuls.filter((k) => k.attrs['transposeA'] || k.attrs['transposeB']), [], 'no matMul runs transposed');
  const before = tf.memory().numTensors;
  tf.tidy(() => { linear.apply(x); });
  assert.equal(tf.memory().numTensors, before);
});

test('every architecture generates with its KV cache', async () => {
  for (const architecture of ['llama', 'mistral', 'qwen2', 'phi3'] as const) {
    const model = LlamaModel.load(tinyModel({ architecture, sharpened: true }));
    const result = await generate(model, [1, 415, 2936], { maxNewTokens: 4, temperature: 0, topP: 1, stopIds: new Set(), seed: 1 });
    assert.equal(result.ids.length, 4, architecture);
    assert.ok(result.ids.every((id) => id >= 0 && id < model.config.vocabSize), architecture);
    model.dispose();
  }
});
