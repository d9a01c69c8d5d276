/**
 * A Llama-family decoder (Llama, Mistral, Qwen2, Phi-3) loaded from a Hugging Face folder and run
 * with TensorFlow.js, with a KV cache for generation. The arithmetic follows transformers'
 * `modeling_llama.py` (Touvron et al. 2023): pre-norm blocks of grouped-query attention with
 * rotary embeddings and a SwiGLU MLP, then a final RMSNorm and the LM head.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, parseModelConfig, ropeInverseFrequencies, type ModelConfig } from './config';
import { applyRope, causalMask, FrozenLinear, rmsNorm, ropeTables, silu } from './layers';
import { ModelWeights } from '../weights/modelWeights';
import { layerTensorNames } from '../weights/hfNames';

interface DecoderLayer {
  inputNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
  q: FrozenLinear;
  k: FrozenLinear;
  v: FrozenLinear;
  o: FrozenLinear;
  gate: FrozenLinear;
  up: FrozenLinear;
  down: FrozenLinear;
}

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
    /** The LM head, (H, V). */
    private readonly lmHeadT: tf.Tensor2D,
  ) {
    this.invFreq = ropeInverseFrequencies(config);
  }

  /** Reads config.json and the safetensors weights of a model folder. */
  static load(dir: string): LlamaModel {
    const configPath = path.join(dir, 'config.json');
    if (!fs.existsSync(configPath)) throw new ModelConfigError(`${dir} has no config.json: is it a Hugging Face model folder?`);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    } catch (error) {
      throw new ModelConfigError(`${configPath} is not valid JSON: ${(error as Error).message}`);
    }
    const config = parseModelConfig(raw, configPath);
    const weights = ModelWeights.open(dir);
    try {
      return LlamaModel.fromWeights(config, weights);
    } finally {
      weights.close();
    }
  }

  private static fromWeights(config: ModelConfig, weights: ModelWeights): LlamaModel {
    const { hiddenSize: h, vocabSize: vocab } = config;
    const created: tf.Tensor[] = [];
    try {
      const embeddingValues = weights.read('model.embed_tokens.weight', [vocab, h]);
      const embedding = track(created, tf.tensor2d(embeddingValues, [vocab, h]));
      const layers: DecoderLayer[] = [];
      for (let i = 0; i < config.numLayers; i++) layers.push(loadLayer(config, weights, i, created));
      const finalNorm = track(created, tf.tensor1d(weights.read('model.norm.weight', [h])));
      const head = config.tieWordEmbeddings || !weights.has('lm_head.weight') ? embeddingValues : weights.read('lm_head.weight', [vocab, h]);
      const lmHeadT = track(created, transposed(head, vocab, h));
      return new LlamaModel(config, embedding, layers, finalNorm, lmHeadT);
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
      const flatIds = tf.tensor1d(ids.flat(), 'int32');
      let hidden = tf.gather(this.embedding, flatIds) as tf.Tensor2D; // (B*T, H)
      const { cos, sin } = ropeTables(this.invFreq, start, steps);
      const mask = causalMask(start, steps, c.slidingWindow);
      this.layers.forEach((layer, index) => {
        const previous = cache?.layers[index];
        const attended = this.attention(layer, rmsNorm(hidden, layer.inputNorm, c.rmsNormEps), batch, steps, cos, sin, mask, previous, updated, index);
        hidden = tf.add(hidden, attended) as tf.Tensor2D;
        const normed = rmsNorm(hidden, layer.postAttentionNorm, c.rmsNormEps);
        hidden = tf.add(hidden, layer.down.apply(tf.mul(silu(layer.gate.apply(normed)), layer.up.apply(normed)))) as tf.Tensor2D;
      });
      const out = tf.matMul(rmsNorm(hidden, this.finalNorm, c.rmsNormEps), this.lmHeadT); // (B*T, V)
      return tf.reshape(out, [batch, steps, c.vocabSize]) as tf.Tensor3D;
    });
    if (cache && updated) {
      this.disposeCache(cache);
      cache.layers = updated;
      cache.length = start + steps;
    }
    return logits;
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
    layer: DecoderLayer, x: tf.Tensor2D, batch: number, steps: number, cos: tf.Tensor2D, sin: tf.Tensor2D, mask: tf.Tensor2D,
    previous: KvCache['layers'][number] | undefined, updated: KvCache['layers'] | undefined, index: number,
  ): tf.Tensor2D {
    const { numHeads: nH, numKvHeads: nKv, headDim: hd } = this.config;
    const heads = (t: tf.Tensor2D, n: number): tf.Tensor4D => tf.transpose(tf.reshape(t, [batch, steps, n, hd]), [0, 2, 1, 3]); // (B, n, T, hd)
    const q = applyRope(heads(layer.q.apply(x), nH), cos, sin);
    const k = applyRope(heads(layer.k.apply(x), nKv), cos, sin);
    const v = heads(layer.v.apply(x), nKv);
    const newKeysT = tf.transpose(k, [0, 1, 3, 2]); // (B, nKv, hd, T)
    const keysT = previous ? tf.concat([previous.keysT, newKeysT], 3) : newKeysT; // (B, nKv, hd, S)
    const values = previous ? tf.concat([previous.values, v], 2) : v; // (B, nKv, S, hd)
    if (updated) updated[index] = { keysT: tf.keep(keysT), values: tf.keep(values) };
    // Grouped-query attention without copying keys: query heads that share a KV head are
    // stacked as extra rows, (B, nH, T, hd) -> (B, nKv, rep*T, hd), which is repeat_kv's
    // arithmetic (query head h reads KV head h / rep) with one matMul per KV head.
    const repeats = nH / nKv;
    const grouped = tf.reshape(q, [batch, nKv, repeats * steps, hd]);
    const scores = tf.reshape(tf.mul(tf.matMul(grouped, keysT), 1 / Math.sqrt(hd)), [batch, nKv, repeats, steps, -1]); // (B, nKv, rep, T, S)
    const weights = tf.reshape(tf.softmax(tf.add(scores, mask)), [batch, nKv, repeats * steps, -1]);
    const context = tf.reshape(tf.matMul(weights, values), [batch, nH, steps, hd]); // (B, nH, T, hd)
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * steps, nH * hd]) as tf.Tensor2D; // (B*T, nH*hd)
    return layer.o.apply(merged);
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
    this.lmHeadT.dispose();
    for (const layer of this.layers) {
      layer.inputNorm.dispose();
      layer.postAttentionNorm.dispose();
      for (const linear of [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]) linear.dispose();
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

function loadLayer(config: ModelConfig, weights: ModelWeights, index: number, created: tf.Tensor[]): DecoderLayer {
  const { hiddenSize: h, intermediateSize: inter, numHeads: nH, numKvHeads: nKv, headDim: hd } = config;
  const names = layerTensorNames(config.architecture, index);
  const linear = (values: Float32Array, out: number, inputs: number, bias?: Float32Array): FrozenLinear =>
    new FrozenLinear(track(created, transposed(values, out, inputs)), bias ? track(created, tf.tensor1d(bias)) : undefined);
  const rows = (values: Float32Array, from: number, count: number, width: number): Float32Array => values.subarray(from * width, (from + count) * width);
  const bias = (name: string | undefined, size: number): Float32Array | undefined => (name && config.qkvBias ? weights.read(name, [size]) : undefined);

  let q: FrozenLinear, k: FrozenLinear, v: FrozenLinear, gate: FrozenLinear, up: FrozenLinear;
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
    q, k, v,
    o: linear(weights.read(names.o, [h, nH * hd]), h, nH * hd, oBias),
    gate, up,
    down: linear(weights.read(names.down, [h, inter]), h, inter),
  };
}
