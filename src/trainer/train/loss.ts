/**
 * The pieces of a training step that decide its memory: the loss over the LM head computed in
 * chunks, and gradient checkpointing of decoder layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenLinear } from '../model/layers';
import { sumAll } from './optimizer';

/** Rows of logits computed at once: chunk x vocabulary floats stay under about 64 MB. */
function chunkRows(vocab: number): number {
  return Math.max(1, Math.floor((16 * 1024 * 1024) / vocab));
}

/**
 * The summed cross-entropy of the trained targets: `sum_i logsumexp(z_i) - z_i[target_i]` with
 * `z_i = hidden[row_i] W_head^T`. Only the rows that have a target go through the LM head, picked
 * by a one-hot matMul (the gather gradient needs a kernel WASM lacks), and the logits exist one
 * chunk at a time: the backward pass recomputes each chunk's softmax instead of keeping it.
 * hidden: (N, H); returns a scalar.
 */
export function targetCrossEntropy(hidden: tf.Tensor2D, head: FrozenLinear, targetRows: Int32Array, targetIds: Int32Array): tf.Scalar {
  const count = targetRows.length;
  const rows = hidden.shape[0];
  const vocab = head.outFeatures;
  const select = oneHotFloat(targetRows, rows); // (M, N)
  // Tensors of this forward pass are freed by the caller's scope: the tape still needs them.
  const picked = tf.matMul(select, hidden); // (M, H)
  const step = chunkRows(vocab);
  const chunks: Array<[number, number]> = [];
  for (let from = 0; from < count; from += step) chunks.push([from, Math.min(count, from + step)]);
  const onehot = (from: number, to: number): tf.Tensor2D => oneHotFloat(targetIds.subarray(from, to), vocab);

  const lossOf = tf.customGrad(((h: tf.Tensor, save: tf.GradSaveFunc) => {
    save([h]);
    const value = tf.tidy(() => sumAll(chunks.map(([from, to]) => {
      const logits = head.apply(tf.slice(h as tf.Tensor2D, [from, 0], [to - from, -1])); // (m, V)
      return tf.sum(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, onehot(from, to)), 1)));
    })));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [input] = saved as [tf.Tensor2D];
        // d loss / d logits = softmax(z) - onehot, then back through the head: (m, V) @ W.
        const parts = chunks.map(([from, to]) => {
          const logits = head.apply(tf.slice(input, [from, 0], [to - from, -1]));
          return head.inputGradient(tf.sub(tf.softmax(logits), onehot(from, to)));
        });
        return tf.mul(parts.length === 1 ? parts[0]! : tf.concat(parts, 0), dy);
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return lossOf(picked) as tf.Scalar;
}

/**
 * One-hot rows as float32. Built as int32 and cast: WASM's OneHot kernel writes integer bits into
 * a float32 output (tfjs 4.22), which reads as denormals.
 */
function oneHotFloat(indices: Int32Array, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(indices, 'int32'), depth), 'float32') as tf.Tensor2D);
}

/**
 * Gradient checkpointing (Chen et al. 2016) of one decoder layer: the forward pass keeps only the
 * layer's input; the backward pass runs the layer again under `tf.grads` to get the gradients of
 * the input and of the layer's trainable variables, which are passed in so that the tape links
 * them to this node. The recomputation draws the same dropout masks (they are seeded per step).
 */
export function checkpointLayer(run: (hidden: tf.Tensor2D) => tf.Tensor2D, hidden: tf.Tensor2D, variables: readonly tf.Variable[]): tf.Tensor2D {
  const layer = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input] = args as [tf.Tensor2D];
    save([input]);
    const value = tf.tidy(() => run(input));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
        // tf.grads inside a gradient function clears the engine's active tape; the outer backward
        // pass still needs it.
        const tape = engine.state.activeTape;
        try {
          return tf.grads((x: tf.Tensor, ..._vars: tf.Tensor[]) => run(x as tf.Tensor2D))([saved[0]!, ...variables], dy);
        } finally {
          engine.state.activeTape = tape;
        }
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return layer(hidden, ...variables) as tf.Tensor2D;
}
