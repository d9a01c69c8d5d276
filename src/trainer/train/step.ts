/**
 * One optimizer step and one evaluation pass, as TRL computes them: the loss is the sum of the
 * trained tokens' cross-entropies divided by the number of trained tokens in the whole step (all
 * its accumulated micro-batches), so every token weighs the same however the examples were
 * batched. Gradients add up over micro-batches, are clipped by their global norm, then AdamW
 * updates the LoRA variables, the only ones the optimizer sees.
 */
import * as tf from '@tensorflow/tfjs-core';
// The ops' gradients (matMul, softmax...) register themselves when this module loads.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { disposeTables, type LlamaModel } from '../model/llama';
import type { LoraAdapter } from '../model/lora';
import type { MicroBatch } from './batches';
import { checkpointLayer, targetCrossEntropy } from './loss';
import { clipByGlobalNorm, type AdamW } from './optimizer';

export interface StepResult {
  loss: number;
  gradNorm: number;
  tokens: number;
  trainedTokens: number;
}

export interface StepOptions {
  learningRate: number;
  maxGradNorm: number;
  gradientCheckpointing: boolean;
  /** Seeds the dropout masks of this step's micro-batches. */
  dropoutSeed: number;
}

/** The loss summed over one micro-batch's trained tokens, through every layer. */
function summedLoss(model: LlamaModel, adapter: LoraAdapter, batch: MicroBatch, tables: ReturnType<LlamaModel['batchTables']>, checkpoint: boolean): tf.Scalar {
  const hidden = model.trainingHidden(batch, tables, checkpoint
    ? (index, h, run) => checkpointLayer(run, h, adapter.layerVariables(index))
    : undefined);
  return targetCrossEntropy(hidden, model.lmHead, batch.targetRows, batch.targetIds);
}

export async function trainStep(model: LlamaModel, adapter: LoraAdapter, optimizer: AdamW, microBatches: readonly MicroBatch[], options: StepOptions): Promise<StepResult> {
  const variables = adapter.variables();
  const trainedTokens = microBatches.reduce((n, b) => n + b.targetIds.length, 0);
  const tokens = microBatches.reduce((n, b) => n + b.tokens, 0);
  let accumulated: tf.Tensor[] | undefined;
  // Summed on the device and read once with the norm: one transfer a step, and on WebGPU
  // consecutive reads of same-sized results have returned each other's values.
  let loss: tf.Scalar = tf.scalar(0);
  adapter.dropoutState.training = true;
  try {
    for (let i = 0; i < microBatches.length; i++) {
      const batch = microBatches[i]!;
      if (batch.targetIds.length === 0) continue;
      adapter.dropoutState.seed = options.dropoutSeed * 131 + i;
      const tables = model.batchTables(batch);
      const { value, grads } = tf.variableGrads(
        () => tf.div(summedLoss(model, adapter, batch, tables, options.gradientCheckpointing), trainedTokens) as tf.Scalar,
        variables,
      );
      disposeTables(tables);
      const sum = tf.add(loss, value) as tf.Scalar;
      loss.dispose();
      value.dispose();
      loss = sum;
      const ordered = variables.map((v) => grads[v.name]!);
      if (accumulated) {
        const sums = accumulated.map((a, k) => tf.add(a, ordered[k]!));
        for (const t of [...accumulated, ...ordered]) t.dispose();
        accumulated = sums;
      } else {
        accumulated = ordered;
      }
    }
  } finally {
    adapter.dropoutState.training = false;
  }
  if (!accumulated) {
    loss.dispose();
    return { loss: 0, gradNorm: 0, tokens, trainedTokens: 0 };
  }
  const { grads, norm } = clipByGlobalNorm(accumulated, options.maxGradNorm);
  optimizer.apply(grads, options.learningRate);
  for (const g of grads) g.dispose();
  const both = tf.stack([loss, norm]);
  const [lossValue, normValue] = (await both.data()) as Float32Array;
  for (const t of [both, loss, norm]) t.dispose();
  return { loss: lossValue!, gradNorm: normValue!, tokens, trainedTokens };
}

/** The mean loss over the trained tokens of every batch, without dropout or gradients. */
export async function evaluate(model: LlamaModel, adapter: LoraAdapter, batches: readonly MicroBatch[]): Promise<number> {
  let sum: tf.Scalar = tf.scalar(0);
  let count = 0;
  for (const batch of batches) {
    if (batch.targetIds.length === 0) continue;
    const tables = model.batchTables(batch);
    const next = tf.tidy(() => tf.add(sum, summedLoss(model, adapter, batch, tables, false)) as tf.Scalar);
    disposeTables(tables);
    sum.dispose();
    sum = next;
    count += batch.targetIds.length;
  }
  const total = (await sum.data())[0]!;
  sum.dispose();
  return count > 0 ? total / count : Number.NaN;
}
