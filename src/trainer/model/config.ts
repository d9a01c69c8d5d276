/**
 * A Hugging Face `config.json` for the Llama family, read into one normalised shape. Supported:
 * `llama` (SmolLM2 and TinyLlama too), `mistral`, `qwen2` (q/k/v biases) and `phi3` (fused
 * `qkv_proj` and `gate_up_proj`); grouped-query attention, `rope_theta`, Llama 3 `rope_scaling`,
 * `rms_norm_eps`, tied embeddings. Anything else is a clear error, never a silently wrong model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage, UserError } from '../../common/errors';

export type Architecture = 'llama' | 'mistral' | 'qwen2' | 'phi3';

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['llama', 'mistral', 'qwen2', 'phi3'];

/** Llama 3's frequency-dependent RoPE scaling (transformers' `_compute_llama3_parameters`). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Bias on q, k and v projections (Qwen2, or Llama's `attention_bias`). */
  qkvBias: boolean;
  /** Bias on the output projection (Llama's `attention_bias`). */
  outputBias: boolean;
  /** Attend only to the last N positions (Mistral); undefined means full causal attention. */
  slidingWindow?: number;
  /** Token ids that end generation, from `eos_token_id` (an id or a list). */
  eosTokenIds: number[];
  bosTokenId?: number;
}

export class ModelConfigError extends UserError {
  override readonly name = 'ModelConfigError';
}

/** Reads and normalises `config.json` of a model folder. */
export function readModelConfig(dir: string): ModelConfig {
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) throw new ModelConfigError(`${dir} has no config.json: is it a Hugging Face model folder?`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new ModelConfigError(`${configPath} is not valid JSON (${errorMessage(error)}): fix or replace the file`);
  }
  return parseModelConfig(raw, configPath);
}

/** Normalises a parsed `config.json`; `source` names the file in errors. */
export function parseModelConfig(raw: unknown, source: string): ModelConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelConfigError(`${source} must be a JSON object`);
  const config = raw as Record<string, unknown>;
  const modelType = config['model_type'];
  if (typeof modelType !== 'string' || !(SUPPORTED_ARCHITECTURES as readonly string[]).includes(modelType)) {
    throw new ModelConfigError(`${source}: model_type ${JSON.stringify(modelType)} is not supported; supported are ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  }
  const architecture = modelType as Architecture;
  const int = (key: string, fallback?: number): number => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ModelConfigError(`${source}: "${key}" must be a positive whole number, not ${JSON.stringify(config[key])}`);
    }
    return value;
  };
  const num = (key: string, fallback: number): number => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ModelConfigError(`${source}: "${key}" must be a positive number, not ${JSON.stringify(config[key])}`);
    }
    return value;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelConfigError(`${source}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const headDim = config['head_dim'] === undefined || config['head_dim'] === null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ModelConfigError(`${source}: the head size (${headDim}) must be an even whole number`);
  }
  if (architecture === 'phi3' && (config['partial_rotary_factor'] ?? 1) !== 1) {
    throw new ModelConfigError(`${source}: partial_rotary_factor other than 1 is not supported`);
  }
  const attentionBias = config['attention_bias'] === true;
  const parsed: ModelConfig = {
    architecture,
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    tieWordEmbeddings: config['tie_word_embeddings'] === true,
    qkvBias: architecture === 'qwen2' || attentionBias,
    outputBias: attentionBias,
    eosTokenIds: tokenIds(config['eos_token_id']),
  };
  if (config['mlp_bias'] === true) throw new ModelConfigError(`${source}: mlp_bias is not supported`);
  const scaling = parseRopeScaling(config['rope_scaling'], source);
  if (scaling) parsed.ropeScaling = scaling;
  const window = config['sliding_window'];
  const useWindow = architecture === 'mistral' || (architecture === 'qwen2' && config['use_sliding_window'] === true);
  if (useWindow && typeof window === 'number' && window > 0) parsed.slidingWindow = window;
  if (typeof config['bos_token_id'] === 'number') parsed.bosTokenId = config['bos_token_id'];
  return parsed;
}

function tokenIds(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

function parseRopeScaling(value: unknown, source: string): Llama3RopeScaling | undefined {
  if (value === undefined || value === null) return undefined;
  const scaling = value as Record<string, unknown>;
  const type = scaling['rope_type'] ?? scaling['type'];
  if (type === 'default') return undefined;
  if (type !== 'llama3') {
    throw new ModelConfigError(`${source}: rope_scaling of type ${JSON.stringify(type)} is not supported (only "llama3")`);
  }
  const field = (key: string): number => {
    const v = scaling[key];
    if (typeof v !== 'number' || v <= 0) throw new ModelConfigError(`${source}: rope_scaling.${key} must be a positive number`);
    return v;
  };
  return {
    factor: field('factor'),
    lowFreqFactor: field('low_freq_factor'),
    highFreqFactor: field('high_freq_factor'),
    originalMaxPositionEmbeddings: field('original_max_position_embeddings'),
  };
}

/**
 * RoPE inverse frequencies, `1 / theta^(2i/d)`, with Llama 3 scaling applied when configured
 * (transformers' `_compute_llama3_parameters`).
 */
export function ropeInverseFrequencies(config: ModelConfig): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  const s = config.ropeScaling;
  if (!s) return inv;
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i]!;
    if (wavelen > lowFreqWavelen) {
      inv[i] = inv[i]! / s.factor;
    } else if (wavelen >= highFreqWavelen) {
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - smooth) * (inv[i]! / s.factor) + smooth * inv[i]!;
    }
  }
  return inv;
}
