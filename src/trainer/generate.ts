/**
 * Text generation with a KV cache: greedy decoding, or sampling with temperature and top-p
 * (nucleus sampling, Holtzman et al. 2019), stopping at the tokenizer's EOS, the config's
 * eos_token_id and the chat template's end-of-turn tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaModel } from './model/llama';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  /** Sample only from the smallest set of tokens whose probabilities add up to topP. */
  topP: number;
  stopIds: ReadonlySet<number>;
  seed: number;
  /** Called with each new token as it is chosen. */
  onToken?(id: number): void;
}

export interface Generation {
  ids: number[];
  stoppedBy: 'stop-token' | 'max-new-tokens';
  promptTokens: number;
  /** Seconds for the prompt (prefill) and for the new tokens (decode). */
  prefillSeconds: number;
  decodeSeconds: number;
}

/** Reads are asynchronous: synchronous reads from a GPU backend stall it (and need a canvas on WebGPU). */
export async function generate(model: LlamaModel, promptIds: readonly number[], options: GenerateOptions): Promise<Generation> {
  const random = seededRandom(options.seed);
  const cache = model.emptyCache();
  const ids: number[] = [];
  const started = performance.now();
  let prefillSeconds = 0;
  let input: readonly number[] = promptIds;
  let stoppedBy: Generation['stoppedBy'] = 'max-new-tokens';
  try {
    while (ids.length < options.maxNewTokens) {
      const logits = model.forward([input], cache);
      const last = tf.tidy(() => tf.reshape(tf.slice(logits, [0, input.length - 1, 0], [1, 1, -1]), [-1]));
      const values = (await last.data()) as Float32Array;
      logits.dispose();
      last.dispose();
      if (ids.length === 0) prefillSeconds = (performance.now() - started) / 1000;
      const next = options.temperature === 0 ? argmax(values) : sample(values, options.temperature, options.topP, random);
      if (options.stopIds.has(next)) {
        stoppedBy = 'stop-token';
        break;
      }
      ids.push(next);
      options.onToken?.(next);
      input = [next];
    }
  } finally {
    model.disposeCache(cache);
  }
  const total = (performance.now() - started) / 1000;
  return { ids, stoppedBy, promptTokens: promptIds.length, prefillSeconds, decodeSeconds: total - prefillSeconds };
}

export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Samples from softmax(logits / temperature), restricted to the top-p nucleus. */
export function sample(logits: Float32Array, temperature: number, topP: number, random: () => number): number {
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp((logits[i]! - max) / temperature);
    sum += probs[i]!;
  }
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
  const nucleus: number[] = [];
  let mass = 0;
  for (const index of order) {
    nucleus.push(index);
    mass += probs[index]! / sum;
    if (mass >= topP) break;
  }
  let target = random() * mass * sum;
  for (const index of nucleus) {
    target -= probs[index]!;
    if (target <= 0) return index;
  }
  return nucleus[nucleus.length - 1]!;
}

/** mulberry32: a small deterministic generator, so a seed reproduces a sample. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
