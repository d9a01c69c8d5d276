/**
 * AdamW (Loshchilov & Hutter 2019) with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8) and
 * decoupled weight decay, as `torch.optim.AdamW` computes it:
 *   p -= lr * wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Its state (m, v and the step count) is saved with each checkpoint, so a resumed run continues
 * exactly where it stopped.
 */
import * as tf from '@tensorflow/tfjs-core';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  step = 0;

  /** `names` label the parameters in saved state; they must be stable across runs. */
  constructor(private readonly params: readonly tf.Variable[], private readonly names: readonly string[], private readonly weightDecay: number) {
    this.m = params.map((p) => tf.variable(tf.zerosLike(p), false));
    this.v = params.map((p) => tf.variable(tf.zerosLike(p), false));
  }

  /** Applies one update with gradients aligned with the parameters. */
  apply(grads: readonly tf.Tensor[], learningRate: number): void {
    this.step++;
    const correction1 = 1 - BETA1 ** this.step;
    const correction2 = 1 - BETA2 ** this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i]!;
        const m = tf.add(tf.mul(this.m[i]!, BETA1), tf.mul(g, 1 - BETA1));
        const v = tf.add(tf.mul(this.v[i]!, BETA2), tf.mul(tf.square(g), 1 - BETA2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const decayed = this.weightDecay > 0 ? tf.mul(p, 1 - learningRate * this.weightDecay) : p;
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), EPSILON));
        p.assign(tf.sub(decayed, tf.mul(update, learningRate)));
      });
    });
  }

  /** The moment estimates, by parameter name, for a checkpoint. */
  async state(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (let i = 0; i < this.params.length; i++) {
      out.set(`${this.names[i]!}.exp_avg`, { shape: this.m[i]!.shape, values: (await this.m[i]!.data()) as Float32Array });
      out.set(`${this.names[i]!}.exp_avg_sq`, { shape: this.v[i]!.shape, values: (await this.v[i]!.data()) as Float32Array });
    }
    return out;
  }

  /** Restores the moments saved by {@link state}; `lookup` returns undefined for a missing tensor. */
  restore(step: number, lookup: (name: string) => Float32Array | undefined): void {
    this.step = step;
    this.params.forEach((p, i) => {
      for (const [suffix, target] of [['exp_avg', this.m[i]!], ['exp_avg_sq', this.v[i]!]] as const) {
        const name = `${this.names[i]!}.${suffix}`;
        const values = lookup(name);
        if (!values || values.length !== p.size) throw new Error(`the checkpoint's optimizer state has no ${name} of ${p.size} values`);
        tf.tidy(() => target.assign(tf.tensor(values, p.shape)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_,
 * with its 1e-6), on the device: the norm is returned as a tensor for the caller to read with its
 * other numbers in one transfer. Disposes the gradients it replaces.
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.tidy(() => tf.sqrt(sumAll(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  if (maxNorm <= 0) return { grads, norm };
  const clipped = tf.tidy(() => {
    const coefficient = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return grads.map((g) => tf.mul(g, coefficient));
  });
  for (const g of grads) g.dispose();
  return { grads: clipped, norm };
}

/**
 * Adds tensors of one shape pairwise. Not tf.addN: WebGPU's AddN binds every input to one shader,
 * and past the device's limit of storage buffers it returns zeros without an error.
 */
export function sumAll<T extends tf.Tensor>(tensors: readonly T[]): T {
  return tensors.slice(1).reduce((total, t) => tf.add(total, t) as T, tensors[0]!);
}
