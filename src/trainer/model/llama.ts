/**
 * A Llama-family decoder (Llama, Mistral, Qwen2, Phi-3) loaded from a Hugging Face folder and run
 * with TensorFlow.js, with a KV cache for generation. The arithmetic follows transformers'
 * `modeling_llama.py` (Touvron et al. 2023): pre-norm blocks of grouped-query attention with
 * rotary embeddings and a SwiGLU MLP, then a final RMSNorm and the LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readModelConfig, ropeInverseFrequencies, type ModelConfig } from './config';
import type { LinearModule } from '../../common/trainConfig';
import { applyRope, causalMask, FrozenLinear, groupedMatMul, Nf4Linear, rmsNorm, ropeTables, ropeTablesAt, segmentMask, silu, type Linear } from './layers';
import { ModelWeights } from '../weights/modelWeights';
import { layerTensorNames } from '../weights/hfNames';

/** The linear layers of a decoder layer, by their Hugging Face module names. */
type LayerLinears = Record<LinearModule, Linear>;

interface DecoderLayer extends LayerLinears {
  inputNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
}

/** Where each module sits in a Hugging Face checkpoint: `model.layers.<i>.<block>.<module>`. */
export const MODULE_BLOCK: Record<LinearModule, 'self_attn' | 'mlp'> = {
  q_proj: 'self_attn', k_proj: 'self_attn', v_proj: 'self_attn', o_proj: 'self_attn', gate_proj: 'mlp', up_proj: 'mlp', down_proj: 'mlp',
};

/** A linear layer of the model with its Hugging Face name, where an adapter can be attached. */
export interface ModuleSlot {
  /** `model.layers.0.self_attn.q_proj` */
  name: string;
  layer: number;
  module: LinearModule;
  get(): Linear;
  set(linear: Linear): void;
}

export interface LoadOptions {
  /** Store the frozen linear weights as 4-bit NF4 (QLoRA). */
  nf4?: { doubleQuant: boolean };
}

/**
 * What a training forward pass needs beyond the ids: per-row positions (packing restarts them at
 * each example) and, per row, which example each position belongs to (no attention across
 * examples; -1 marks padding).
 */
export interface TrainingBatch {
  ids: number[][];
  positions: number[][];
  segments: number[][];
}

export interface BatchTables {
  cos: tf.Tensor;
  sin: tf.Tensor;
  mask: tf.Tensor;
}

export function disposeTables(tables: BatchTables): void {
  for (const t of [tables.cos, tables.sin, tables.mask]) t.dispose();
}

/** Runs one decoder layer over (B*T, H); `checkpoint` may wrap it to recompute in backward. */
export type LayerRunner = (index: number, hidden: tf.Tensor2D, run: (hidden: tf.Tensor2D) => tf.Tensor2D) => tf.Tensor2D;

/** Keys stored transposed, (B, nKv, hd, S), so attention scores are a plain matMul. */
export interface KvCache {
  layers: Array<{ keysT: tf.Tensor4D; values: tf.Tensor4D }>;
  /** Positions already in the cache. */
  length: number;
}

export class LlamaModel {
  private readonly invFreq: Float64Array;

  private constructor(
    readonly config: ModelConfig,
    private readonly embedding: tf.Tensor2D,
    private readonly layers: DecoderLayer[],
    private readonly finalNorm: tf.Tensor1D,
    /** The LM head, (H) -> (V). */
    readonly lmHead: FrozenLinear,
  ) {
    this.invFreq = ropeInverseFrequencies(config);
  }

  /** Reads config.json and the safetensors weights of a model folder. */
  static load(dir: string, options: LoadOptions = {}): LlamaModel {
    const config = readModelConfig(dir);
    const weights = ModelWeights.open(dir);
    try {
      return LlamaModel.fromWeights(config, weights, options);
    } finally {
      weights.close();
    }
  }

  private static fromWeights(config: ModelConfig, weights: ModelWeights, options: LoadOptions): LlamaModel {
    const { hiddenSize: h, vocabSize: vocab } = config;
    const created: tf.Tensor[] = [];
    try {
      const embeddingValues = weights.read('model.embed_tokens.weight', [vocab, h]);
      const embedding = track(created, tf.tensor2d(embeddingValues, [vocab, h]));
      const layers: DecoderLayer[] = [];
      for (let i = 0; i < config.numLayers; i++) layers.push(loadLayer(config, weights, i, created, options));
      const finalNorm = track(created, tf.tensor1d(weights.read('model.norm.weight', [h])));
      const tied = config.tieWordEmbeddings || !weights.has('lm_head.weight');
      const head = tied ? embeddingValues : weights.read('lm_head.weight', [vocab, h]);
      // A tied head's W (V, H) is the embedding itself: its backward pass needs no copy.
      const lmHead = new FrozenLinear(track(created, transposed(head, vocab, h)), undefined, true, tied ? embedding : undefined);
      return new LlamaModel(config, embedding, layers, finalNorm, lmHead);
    } catch (error) {
      for (const tensor of created) tensor.dispose();
      throw error;
    }
  }

  emptyCache(): KvCache {
    return { layers: [], length: 0 };
  }

  /**
   * Runs tokens through the model after the positions already in `cache`, appending their keys
   * and values to it. ids: B rows of T tokens. Returns logits (B, T, V); the caller disposes them.
   */
  forward(ids: readonly (readonly number[])[], cache?: KvCache): tf.Tensor3D {
    const batch = ids.length;
    const steps = ids[0]!.length;
    const start = cache?.length ?? 0;
    const c = this.config;
    // Keys and values outlive this call only when a cache will hold them.
    const updated: KvCache['layers'] | undefined = cache ? [] : undefined;
    const logits = tf.tidy(() => {
      const { cos, sin } = ropeTables(this.invFreq, start, steps);
      const mask = causalMask(start, steps, c.slidingWindow);
      let hidden = this.embed(ids);
      this.layers.forEach((layer, index) => {
        hidden = this.layerForward(layer, hidden, batch, steps, cos, sin, mask, cache?.layers[index], updated, index);
      });
      const out = this.lmHead.apply(rmsNorm(hidden, this.finalNorm, c.rmsNormEps)); // (B*T, V)
      return tf.reshape(out, [batch, steps, c.vocabSize]) as tf.Tensor3D;
    });
    if (cache && updated) {
      this.disposeCache(cache);
      cache.layers = updated;
      cache.length = start + steps;
    }
    return logits;
  }

  /**
   * The final normed hidden states (B*T, H) of a training batch, for a loss computed in chunks
   * against {@link lmHead}. Positions restart per example and attention never crosses examples.
   * Not tidied: the caller runs it inside its own tidy or gradient scope.
   */
  trainingHidden(batch: TrainingBatch, tables: BatchTables, runLayer: LayerRunner = (_, hidden, run) => run(hidden)): tf.Tensor2D {
    const rows = batch.ids.length;
    const steps = batch.ids[0]!.length;
    const c = this.config;
    const { cos, sin, mask } = tables;
    let hidden = this.embed(batch.ids);
    this.layers.forEach((layer, index) => {
      hidden = runLayer(index, hidden, (h) => this.layerForward(layer, h, rows, steps, cos, sin, mask, undefined, undefined, index));
    });
    return rmsNorm(hidden, this.finalNorm, c.rmsNormEps);
  }

  /**
   * The RoPE tables and attention mask of a training batch. The caller owns and disposes them:
   * they must outlive the gradient computation, since checkpointed layers recompute with them.
   */
  batchTables(batch: TrainingBatch): BatchTables {
    const { cos, sin } = ropeTablesAt(this.invFreq, batch.positions); // (B, 1, T, hd)
    return { cos, sin, mask: segmentMask(batch.segments, this.config.slidingWindow) }; // mask (B, 1, 1, T, T)
  }

  /** Every linear layer, by Hugging Face name, in checkpoint order. */
  moduleSlots(): ModuleSlot[] {
    const slots: ModuleSlot[] = [];
    this.layers.forEach((layer, index) => {
      for (const module of Object.keys(MODULE_BLOCK) as LinearModule[]) {
        slots.push({
          name: `model.layers.${index}.${MODULE_BLOCK[module]}.${module}`, layer: index, module,
          get: () => layer[module],
          set: (linear) => { layer[module] = linear; },
        });
      }
    });
    return slots;
  }

  /** Parameters of the base model, counted as peft counts them. */
  parameterCount(): number {
    const c = this.config;
    const perLayer = 2 * c.hiddenSize + (Object.keys(MODULE_BLOCK) as LinearModule[]).reduce((n, m) => n + this.layers[0]![m].inFeatures * this.layers[0]![m].outFeatures, 0);
    return c.vocabSize * c.hiddenSize * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * perLayer + c.hiddenSize;
  }

  private embed(ids: readonly (readonly number[])[]): tf.Tensor2D {
    return tf.gather(this.embedding, tf.tensor1d(ids.flat(), 'int32')) as tf.Tensor2D; // (B*T, H)
  }

  /** One pre-norm block: attention, then the SwiGLU MLP, each added to the residual stream. */
  private layerForward(
    layer: DecoderLayer, hidden: tf.Tensor2D, batch: number, steps: number, cos: tf.Tensor, sin: tf.Tensor, mask: tf.Tensor,
    previous: KvCache['layers'][number] | undefined, updated: KvCache['layers'] | undefined, index: number,
  ): tf.Tensor2D {
    const eps = this.config.rmsNormEps;
    const attended = this.attention(layer, rmsNorm(hidden, layer.inputNorm, eps), batch, steps, cos, sin, mask, previous, updated, index);
    const mid = tf.add(hidden, attended) as tf.Tensor2D;
    const normed = rmsNorm(mid, layer.postAttentionNorm, eps);
    return tf.add(mid, layer.down_proj.apply(tf.mul(silu(layer.gate_proj.apply(normed)), layer.up_proj.apply(normed)))) as tf.Tensor2D;
  }

  /** The logits at every position of one sequence, as plain arrays (for `sft-studio forward`). */
  async logitsOf(ids: readonly number[]): Promise<number[][]> {
    const logits = this.forward([ids]);
    try {
      return ((await logits.array()) as number[][][])[0]!;
    } finally {
      logits.dispose();
    }
  }

  /** Self-attention of one layer over the new positions and the cached ones. x: (B*T, H). */
  private attention(
    layer: DecoderLayer, x: tf.Tensor2D, batch: number, steps: number, cos: tf.Tensor, sin: tf.Tensor, mask: tf.Tensor,
    previous: KvCache['layers'][number] | undefined, updated: KvCache['layers'] | undefined, index: number,
  ): tf.Tensor2D {
    const { numHeads: nH, numKvHeads: nKv, headDim: hd } = this.config;
    const heads = (t: tf.Tensor2D, n: number): tf.Tensor4D => tf.transpose(tf.reshape(t, [batch, steps, n, hd]), [0, 2, 1, 3]); // (B, n, T, hd)
    const q = applyRope(heads(layer.q_proj.apply(x), nH), cos, sin);
    const k = applyRope(heads(layer.k_proj.apply(x), nKv), cos, sin);
    const v = heads(layer.v_proj.apply(x), nKv);
    const newKeysT = tf.transpose(k, [0, 1, 3, 2]); // (B, nKv, hd, T)
    const keysT = previous ? tf.concat([previous.keysT, newKeysT], 3) : newKeysT; // (B, nKv, hd, S)
    const values = previous ? tf.concat([previous.values, v], 2) : v; // (B, nKv, S, hd)
    if (updated) updated[index] = { keysT: tf.keep(keysT), values: tf.keep(values) };
    // Grouped-query attention without copying keys: query heads that share a KV head are
    // stacked as extra rows, (B, nH, T, hd) -> (B, nKv, rep*T, hd), which is repeat_kv's
    // arithmetic (query head h reads KV head h / rep) with one matMul per KV head.
    const repeats = nH / nKv;
    const grouped = tf.reshape(q, [batch, nKv, repeats * steps, hd]) as tf.Tensor4D;
    const scores = tf.reshape(tf.mul(groupedMatMul(grouped, keysT), 1 / Math.sqrt(hd)), [batch, nKv, repeats, steps, -1]); // (B, nKv, rep, T, S)
    const weights = tf.reshape(tf.softmax(tf.add(scores, mask)), [batch, nKv, repeats * steps, -1]);
    const context = tf.reshape(groupedMatMul(weights as tf.Tensor4D, values), [batch, nH, steps, hd]); // (B, nH, T, hd)
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * steps, nH * hd]) as tf.Tensor2D; // (B*T, nH*hd)
    return layer.o_proj.apply(merged);
  }

  disposeCache(cache: KvCache): void {
    for (const layer of cache.layers) {
      layer.keysT.dispose();
      layer.values.dispose();
    }
    cache.layers = [];
    cache.length = 0;
  }

  dispose(): void {
    this.embedding.dispose();
    this.finalNorm.dispose();
    this.lmHead.dispose();
    for (const layer of this.layers) {
      layer.inputNorm.dispose();
      layer.postAttentionNorm.dispose();
      for (const module of Object.keys(MODULE_BLOCK) as LinearModule[]) layer[module].dispose();
    }
  }
}

function track<T extends tf.Tensor>(created: tf.Tensor[], tensor: T): T {
  created.push(tensor);
  return tensor;
}

/**
 * (rows, cols) row-major values -> a (cols, rows) tensor. Transposed in JavaScript before the
 * upload: on WASM a transpose on the backend would hold both copies in a heap that never shrinks.
 */
function transposed(values: Float32Array, rows: number, cols: number): tf.Tensor2D {
  const out = new Float32Array(values.length);
  const block = 64; // cache-friendly tiles
  for (let r0 = 0; r0 < rows; r0 += block) {
    for (let c0 = 0; c0 < cols; c0 += block) {
      const rEnd = Math.min(rows, r0 + block);
      const cEnd = Math.min(cols, c0 + block);
      for (let r = r0; r < rEnd; r++) {
        for (let c = c0; c < cEnd; c++) out[c * rows + r] = values[r * cols + c]!;
      }
    }
  }
  return tf.tensor2d(out, [cols, rows]);
}

function loadLayer(config: ModelConfig, weights: ModelWeights, index: number, created: tf.Tensor[], options: LoadOptions): DecoderLayer {
  const { hiddenSize: h, intermediateSize: inter, numHeads: nH, numKvHeads: nKv, headDim: hd } = config;
  const names = layerTensorNames(config.architecture, index);
  const linear = (values: Float32Array, out: number, inputs: number, bias?: Float32Array): Linear => {
    const biasTensor = bias ? track(created, tf.tensor1d(bias)) : undefined;
    return options.nf4
      ? new Nf4Linear(values, out, inputs, options.nf4.doubleQuant, biasTensor)
      : new FrozenLinear(track(created, transposed(values, out, inputs)), biasTensor);
  };
  const rows = (values: Float32Array, from: number, count: number, width: number): Float32Array => values.subarray(from * width, (from + count) * width);
  const bias = (name: string | undefined, size: number): Float32Array | undefined => (name && config.qkvBias ? weights.read(name, [size]) : undefined);

  let q: Linear, k: Linear, v: Linear, gate: Linear, up: Linear;
  if (names.qkv) {
    // Phi-3 fuses q, k and v as consecutive row blocks of one matrix.
    const fused = weights.read(names.qkv, [(nH + 2 * nKv) * hd, h]);
    q = linear(rows(fused, 0, nH * hd, h), nH * hd, h);
    k = linear(rows(fused, nH * hd, nKv * hd, h), nKv * hd, h);
    v = linear(rows(fused, (nH + nKv) * hd, nKv * hd, h), nKv * hd, h);
  } else {
    q = linear(weights.read(names.q!, [nH * hd, h]), nH * hd, h, bias(names.qBias, nH * hd));
    k = linear(weights.read(names.k!, [nKv * hd, h]), nKv * hd, h, bias(names.kBias, nKv * hd));
    v = linear(weights.read(names.v!, [nKv * hd, h]), nKv * hd, h, bias(names.vBias, nKv * hd));
  }
  if (names.gateUp) {
    // Phi-3 fuses gate and up: the first half of the rows is the gate.
    const fused = weights.read(names.gateUp, [2 * inter, h]);
    gate = linear(rows(fused, 0, inter, h), inter, h);
    up = linear(rows(fused, inter, inter, h), inter, h);
  } else {
    gate = linear(weights.read(names.gate!, [inter, h]), inter, h);
    up = linear(weights.read(names.up!, [inter, h]), inter, h);
  }
  const oBias = config.outputBias ? weights.read(names.oBias, [h]) : undefined;
  return {
    inputNorm: track(created, tf.tensor1d(weights.read(names.inputNorm, [h]))),
    postAttentionNorm: track(created, tf.tensor1d(weights.read(names.postAttentionNorm, [h]))),
    q_proj: q, k_proj: k, v_proj: v,
    o_proj: linear(weights.read(names.o, [h, nH * hd]), h, nH * hd, oBias),
    gate_proj: gate, up_proj: up,
    down_proj: linear(weights.read(names.down, [h, inter]), h, inter),
  };
}
