/**
 * The building blocks of a Llama-family decoder, as transformers' `modeling_llama.py` computes
 * them, in float32 TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blockScales, dequantizeNf4, nf4Bytes, quantizeNf4, type Nf4Tensor } from './nf4';

/** A linear layer of the decoder, as a LoRA adapter or the model sees it: (N, in) -> (N, out). */
export interface Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** Bytes of frozen weights this layer holds. */
  readonly storedBytes: number;
  dispose(): void;
}

/**
 * A frozen linear layer `y = x W^T + b`, stored pre-transposed as `Wt` (in, out) so the forward
 * pass is a plain matMul. Its gradient with respect to x, `dy W`, is also a plain matMul against
 * `W` (out, in): on WASM a matMul with a transposed operand runs about twelve times slower, and
 * every gradient of a transposed product needs one. W is made by a transpose in each backward
 * pass and dropped after it, since keeping it would double the frozen weights in a heap that
 * cannot pass 4 GB. The LM head is the exception: `sharedWeight` (the tied embedding, which is
 * W already) or `keepTranspose` keeps W, since its backward pass runs once per loss chunk.
 */
export class FrozenLinear implements Linear {
  private weight?: tf.Tensor2D;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(readonly wt: tf.Tensor2D, readonly bias?: tf.Tensor1D, private readonly keepTranspose = false, private readonly sharedWeight?: tf.Tensor2D) {
    [this.inFeatures, this.outFeatures] = wt.shape;
  }

  get storedBytes(): number {
    return 4 * (this.wt.size * (this.weight ? 2 : 1) + (this.bias?.size ?? 0));
  }

  /** (N, in) -> (N, out) */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const forward = (input: tf.Tensor, save: tf.GradSaveFunc): { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor } => {
      save([]);
      return { value: tf.matMul(input as tf.Tensor2D, this.wt), gradFunc: (dy) => this.inputGradient(dy as tf.Tensor2D) };
    };
    const project = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
    const y = project(x) as tf.Tensor2D;
    return this.bias ? tf.add(y, this.bias) : y;
  }

  /** The gradient with respect to the input, `dy W`: (N, out) -> (N, in). */
  inputGradient(dy: tf.Tensor2D): tf.Tensor2D {
    if (this.sharedWeight) return tf.matMul(dy, this.sharedWeight);
    if (this.keepTranspose) {
      this.weight ??= tf.keep(tf.transpose(this.wt) as tf.Tensor2D);
      return tf.matMul(dy, this.weight);
    }
    const weight = tf.transpose(this.wt);
    const dx = tf.matMul(dy, weight);
    weight.dispose();
    return dx as tf.Tensor2D;
  }

  dispose(): void {
    this.wt.dispose();
    this.bias?.dispose();
    this.weight?.dispose();
  }
}

/**
 * A frozen linear layer stored as 4-bit NF4 (QLoRA): the weight is dequantized on the backend's
 * side only while the layer runs, W^T for the forward pass and W for the gradient, and dropped
 * right after, so the model holds about half a byte per weight instead of eight.
 */
export class Nf4Linear implements Linear {
  private readonly quantized: Nf4Tensor;
  private readonly scales: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;

  /** `values`: W (out, in), row-major, as in the safetensors file. */
  constructor(values: Float32Array, outFeatures: number, inFeatures: number, doubleQuant: boolean, readonly bias?: tf.Tensor1D) {
    this.quantized = quantizeNf4(values, [outFeatures, inFeatures], doubleQuant);
    this.scales = blockScales(this.quantized);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  get storedBytes(): number {
    return nf4Bytes(this.quantized) + 4 * (this.bias?.size ?? 0);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const forward = (input: tf.Tensor, save: tf.GradSaveFunc): { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor } => {
      save([]);
      const wt = tf.tensor2d(dequantizeNf4(this.quantized, true, this.scales, scratch(this.inFeatures * this.outFeatures)), [this.inFeatures, this.outFeatures]);
      const value = tf.matMul(input as tf.Tensor2D, wt);
      wt.dispose();
      return {
        value,
        gradFunc: (dy) => {
          const w = tf.tensor2d(dequantizeNf4(this.quantized, false, this.scales, scratch(this.inFeatures * this.outFeatures)), [this.outFeatures, this.inFeatures]);
          const dx = tf.matMul(dy as tf.Tensor2D, w);
          w.dispose();
          return dx;
        },
      };
    };
    const y = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor2D;
    return this.bias ? tf.add(y, this.bias) : y;
  }

  dispose(): void {
    this.bias?.dispose();
  }
}

let scratchValues = new Float32Array(0);

/**
 * One reusable buffer for dequantized weights on WASM, whose tensors copy their values into the
 * WebAssembly heap when made; elsewhere (the CPU and WebGPU backends keep a reference to the
 * array) a fresh one. Without it each step leaves the weights' size in garbage per layer.
 */
function scratch(length: number): Float32Array | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  if (scratchValues.length < length) scratchValues = new Float32Array(length);
  return scratchValues.subarray(0, length);
}

/** RMSNorm (Zhang & Sennrich 2019): `x / sqrt(mean(x^2) + eps) * weight`, over the last axis. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
}

/** SiLU (swish): `x * sigmoid(x)`. */
export function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * RoPE tables for positions [start, start + length): cos and sin of `position * inv_freq`,
 * each frequency repeated for both halves of the head (transformers' `cat((freqs, freqs))`).
 * Angles are computed in float64 before rounding, as exactly as a float32 model can use them.
 */
export function ropeTables(invFreq: Float64Array, start: number, length: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const { cos, sin } = ropeTablesAt(invFreq, [Array.from({ length }, (_, t) => start + t)]);
  const width = invFreq.length * 2;
  const flat = { cos: tf.reshape(cos, [length, width]) as tf.Tensor2D, sin: tf.reshape(sin, [length, width]) as tf.Tensor2D };
  cos.dispose();
  sin.dispose();
  return flat;
}

/** RoPE tables for per-row positions: cos and sin (B, 1, T, hd), broadcasting over heads. */
export function ropeTablesAt(invFreq: Float64Array, positions: readonly (readonly number[])[]): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const rows = positions.length;
  const steps = positions[0]!.length;
  const half = invFreq.length;
  const cos = new Float32Array(rows * steps * half * 2);
  const sin = new Float32Array(rows * steps * half * 2);
  positions.forEach((row, b) => {
    row.forEach((position, t) => {
      const base = (b * steps + t) * half * 2;
      for (let i = 0; i < half; i++) {
        const angle = position * invFreq[i]!;
        cos[base + i] = cos[base + half + i] = Math.cos(angle);
        sin[base + i] = sin[base + half + i] = Math.sin(angle);
      }
    });
  });
  return { cos: tf.tensor4d(cos, [rows, 1, steps, half * 2]), sin: tf.tensor4d(sin, [rows, 1, steps, half * 2]) };
}

/**
 * The additive attention mask of a training batch, (B, 1, 1, T, T): a query sees the keys at or
 * before it in the same example (segment), within the sliding window; padding (segment -1) sees
 * only itself, which keeps its softmax finite.
 */
export function segmentMask(segments: readonly (readonly number[])[], window?: number): tf.Tensor {
  const rows = segments.length;
  const steps = segments[0]!.length;
  const mask = new Float32Array(rows * steps * steps);
  segments.forEach((row, b) => {
    for (let q = 0; q < steps; q++) {
      for (let k = 0; k < steps; k++) {
        const visible = row[q] === -1 ? k === q : k <= q && row[k] === row[q] && (window === undefined || q - k < window);
        if (!visible) mask[(b * steps + q) * steps + k] = -1e30;
      }
    }
  });
  return tf.tensor(mask, [rows, 1, 1, steps, steps]);
}

/**
 * Rotary position embedding in Hugging Face's rotate-half layout (Su et al. 2021):
 * `x * cos + rotate_half(x) * sin`, with `rotate_half([x1, x2]) = [-x2, x1]` over the halves
 * of the head dimension. x: (B, heads, T, hd); cos, sin: (T, hd) or per row (B, 1, T, hd).
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3);
  const rotated = tf.concat([tf.neg(x2!), x1!], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/**
 * The additive causal mask for queries at positions [start, start + queries) over keys
 * [0, start + queries): 0 where a query may attend, a large negative number elsewhere; with a
 * sliding window, only the last `window` positions are visible.
 */
export function causalMask(start: number, queries: number, window?: number): tf.Tensor2D {
  const keys = start + queries;
  const mask = new Float32Array(queries * keys);
  for (let q = 0; q < queries; q++) {
    const position = start + q;
    for (let k = 0; k < keys; k++) {
      const visible = k <= position && (window === undefined || position - k < window);
      if (!visible) mask[q * keys + k] = -1e30;
    }
  }
  return tf.tensor2d(mask, [queries, keys]);
}

/**
 * `a @ b` for 2-D tensors whose gradients are plain matMuls too: `da = dy b^T` and
 * `db = a^T dy` transpose their operand first. On WASM a matMul with a transposed operand runs
 * four to twelve times slower than a transpose followed by a plain one.
 */
export function plainMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[1]!) as tf.Tensor2D),
        tf.matMul(tf.transpose(saved[0]!) as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return product(a, b) as tf.Tensor2D;
}

/**
 * (B, G, M, K) @ (B, G, K, N) -> (B, G, M, N) as one plain 2-D matMul per (batch, group): WASM
 * runs a batched matMul about five times slower than the same products one by one.
 */
export function groupedMatMul(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const [batch, groups, m, k] = a.shape;
  const n = b.shape[3];
  // Row slices of the flattened operands: contiguous copies, cheaper on WASM than split or unstack.
  const count = batch * groups;
  const flatA = tf.reshape(a, [count * m, k]) as tf.Tensor2D;
  const flatB = tf.reshape(b, [count * k, n]) as tf.Tensor2D;
  const rows = (t: tf.Tensor2D, i: number, height: number): tf.Tensor2D => (count === 1 ? t : tf.slice(t, [i * height, 0], [height, -1]));
  const products = Array.from({ length: count }, (_, i) => plainMatMul(rows(flatA, i, m), rows(flatB, i, k)));
  return tf.reshape(products.length === 1 ? products[0]! : tf.stack(products), [batch, groups, m, n]);
}
