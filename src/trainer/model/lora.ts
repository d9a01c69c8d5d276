/**
 * LoRA (Hu et al. 2021) as peft defines it: a frozen linear layer W plus a low-rank update,
 * `y = x W^T + scaling * dropout(x) A^T B^T`, with A (r, in) initialised Kaiming-uniform
 * (`kaiming_uniform_(a=sqrt(5))`, so U(-1/sqrt(in), 1/sqrt(in))), B (out, r) zero, and
 * `scaling = lora_alpha / r` (`lora_alpha / sqrt(r)` with rsLoRA, Kalajdzievski 2023). Only A and
 * B are variables, so only they train. They are stored transposed, A^T (in, r) and B^T (r, out),
 * so that the forward pass is two plain matMuls. Anchors: peft `tuners/lora/layer.py`,
 * microsoft/LoRA `loralib/layers.py`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LINEAR_MODULES, type LinearModule, type LoraSettings } from '../../common/trainConfig';
import { seededRandom } from '../generate';
import { plainMatMul, type Linear } from './layers';
import type { LlamaModel, ModuleSlot } from './llama';

/**
 * Training-time state shared by every adapter of a model: whether dropout is on, and the seed of
 * the current micro-batch. Each layer derives its dropout mask from that seed and its own index,
 * so a recomputation (gradient checkpointing) or a resumed run draws the same mask.
 */
export interface DropoutState {
  training: boolean;
  seed: number;
}

export class LoraLinear implements Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(
    readonly base: Linear,
    /** A^T, (in, r). */
    readonly loraAT: tf.Variable<tf.Rank.R2>,
    /** B^T, (r, out). */
    readonly loraBT: tf.Variable<tf.Rank.R2>,
    readonly scaling: number,
    readonly dropout: number,
    private readonly state: DropoutState,
    private readonly index: number,
  ) {
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
  }

  get rank(): number {
    return this.loraAT.shape[1];
  }

  get storedBytes(): number {
    return this.base.storedBytes;
  }

  /** (N, in) -> (N, out) */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = this.base.apply(x);
    let input = x;
    if (this.state.training && this.dropout > 0) {
      const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', this.state.seed * 1009 + this.index), this.dropout);
      input = tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - this.dropout)));
    }
    const update = plainMatMul(plainMatMul(input, this.loraAT), this.loraBT); // (N, r) -> (N, out)
    return tf.add(y, tf.mul(update, this.scaling));
  }

  dispose(): void {
    this.loraAT.dispose();
    this.loraBT.dispose();
  }
}

/** One adapted module: its Hugging Face name and its LoRA layer. */
export interface AdaptedModule {
  name: string;
  /** The decoder layer it sits in. */
  layer: number;
  module: LinearModule;
  lora: LoraLinear;
}

/** The adapters attached to a model; detaching restores the frozen layers. */
export class LoraAdapter {
  constructor(readonly modules: AdaptedModule[], private readonly slots: ModuleSlot[], readonly dropoutState: DropoutState) {}

  variables(): tf.Variable[] {
    return this.modules.flatMap((m) => [m.lora.loraAT, m.lora.loraBT]);
  }

  /** The variables of one decoder layer, which a checkpointed layer passes to the tape. */
  layerVariables(layer: number): tf.Variable[] {
    return this.modules.filter((m) => m.layer === layer).flatMap((m) => [m.lora.loraAT, m.lora.loraBT]);
  }

  /** Stable names of {@link variables}, in the same order, for checkpoints: `<module>.lora_A` and `.lora_B`. */
  variableNames(): string[] {
    return this.modules.flatMap((m) => [`${m.name}.lora_A`, `${m.name}.lora_B`]);
  }

  trainableParameters(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** peft's tensor names and layouts: `base_model.model.<module>.lora_A.weight` (r, in), `lora_B` (out, r). */
  async tensors(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const { name, lora } of this.modules) {
      const a = tf.transpose(lora.loraAT);
      const b = tf.transpose(lora.loraBT);
      out.set(`base_model.model.${name}.lora_A.weight`, { shape: a.shape, values: (await a.data()) as Float32Array });
      out.set(`base_model.model.${name}.lora_B.weight`, { shape: b.shape, values: (await b.data()) as Float32Array });
      a.dispose();
      b.dispose();
    }
    return out;
  }

  detach(): void {
    for (const slot of this.slots) {
      const current = slot.get();
      if (current instanceof LoraLinear) {
        slot.set(current.base);
        current.dispose();
      }
    }
  }
}

/** The modules `target_modules` selects; "all-linear" is every linear layer but the LM head, as in peft. */
export function targetModules(setting: LoraSettings['target_modules']): LinearModule[] {
  return setting === 'all-linear' ? [...LINEAR_MODULES] : setting;
}

export function loraScaling(alpha: number, rank: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** Attaches freshly initialised adapters (A Kaiming-uniform from `seed`, B zero) to the target modules. */
export function attachLora(model: LlamaModel, settings: LoraSettings, seed: number): LoraAdapter {
  const targets = new Set(targetModules(settings.target_modules));
  const random = seededRandom(seed);
  const state: DropoutState = { training: false, seed };
  const slots = model.moduleSlots().filter((slot) => targets.has(slot.module));
  const modules = slots.map((slot, index): AdaptedModule => {
    const base = slot.get();
    const bound = 1 / Math.sqrt(base.inFeatures);
    const a = new Float32Array(base.inFeatures * settings.r);
    for (let i = 0; i < a.length; i++) a[i] = (2 * random() - 1) * bound;
    return attachOne(slot, base, a, new Float32Array(settings.r * base.outFeatures), settings.r, settings, state, index);
  });
  return new LoraAdapter(modules, slots, state);
}

/**
 * Attaches given adapter weights: `aT` (in, r) and `bT` (r, out) row-major, by module name.
 * Used when loading a saved adapter.
 */
export function attachLoraWeights(
  model: LlamaModel, weights: ReadonlyMap<string, { aT: Float32Array; bT: Float32Array; rank: number }>,
  settings: Pick<LoraSettings, 'lora_alpha' | 'lora_dropout' | 'use_rslora'>, seed = 0,
): LoraAdapter {
  const state: DropoutState = { training: false, seed };
  const slots = model.moduleSlots().filter((slot) => weights.has(slot.name));
  const modules = slots.map((slot, index) => {
    const w = weights.get(slot.name)!;
    return attachOne(slot, slot.get(), w.aT, w.bT, w.rank, settings, state, index);
  });
  return new LoraAdapter(modules, slots, state);
}

function attachOne(
  slot: ModuleSlot, base: Linear, aT: Float32Array, bT: Float32Array, rank: number,
  settings: Pick<LoraSettings, 'lora_alpha' | 'lora_dropout' | 'use_rslora'>, state: DropoutState, index: number,
): AdaptedModule {
  const loraAT = variable2d(aT, [base.inFeatures, rank]);
  const loraBT = variable2d(bT, [rank, base.outFeatures]);
  const lora = new LoraLinear(base, loraAT, loraBT, loraScaling(settings.lora_alpha, rank, settings.use_rslora), settings.lora_dropout, state, index);
  slot.set(lora);
  return { name: slot.name, layer: slot.layer, module: slot.module, lora };
}

/** A trainable variable with an engine-unique name (names are global to TensorFlow.js). */
function variable2d(values: Float32Array, shape: [number, number]): tf.Variable<tf.Rank.R2> {
  const initial = tf.tensor2d(values, shape);
  const created = tf.variable(initial, true);
  initial.dispose();
  return created;
}
