/**
 * PEFT adapter folders, as peft's `save_pretrained` writes them and `PeftModel.from_pretrained`
 * reads them: `adapter_config.json` (peft_type "LORA", task_type "CAUSAL_LM", r, lora_alpha,
 * lora_dropout, target_modules, bias, use_rslora, base_model_name_or_path...) and
 * `adapter_model.safetensors` with tensors named `base_model.model.<module>.lora_A.weight`
 * (r, in) and `...lora_B.weight` (out, r). The chat template used in training and the tokenizer
 * files are copied beside them, so inference formats prompts as training did.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../common/errors';
import type { LoraSettings } from '../common/trainConfig';
import type { LoraAdapter } from './model/lora';
import { SafetensorsFile, writeSafetensors } from './weights/safetensors';
import { writeFileAtomic } from './runFolder';

export class AdapterError extends UserError {
  override readonly name = 'AdapterError';
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

export interface SaveAdapterOptions {
  lora: LoraSettings;
  /** What `base_model_name_or_path` records: the model folder or hub id training used. */
  baseModel: string;
  /** The model folder whose tokenizer files are copied. */
  modelDir: string;
  /** The chat template source that rendered the training data, if any. */
  chatTemplate?: string;
}

/** Writes a PEFT adapter folder; every file goes through a temp file and a rename. */
export async function saveAdapter(dir: string, adapter: LoraAdapter, options: SaveAdapterOptions): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = await adapter.tensors();
  writeSafetensors(path.join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  const modules = [...new Set(adapter.modules.map((m) => m.module))];
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: options.baseModel,
    bias: options.lora.bias,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: options.lora.lora_alpha,
    lora_dropout: options.lora.lora_dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: options.lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: modules,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: options.lora.use_rslora,
  };
  writeFileAtomic(path.join(dir, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  for (const name of TOKENIZER_FILES) {
    const source = path.join(options.modelDir, name);
    if (fs.existsSync(source)) writeFileAtomic(path.join(dir, name), fs.readFileSync(source));
  }
  if (options.chatTemplate !== undefined) writeFileAtomic(path.join(dir, 'chat_template.jinja'), options.chatTemplate);
}

/** A loaded adapter: its settings and, per module name, A^T (in, r) and B^T (r, out). */
export interface LoadedAdapter {
  dir: string;
  baseModel: string | undefined;
  settings: { lora_alpha: number; lora_dropout: number; use_rslora: boolean };
  weights: Map<string, { aT: Float32Array; bT: Float32Array; rank: number; inFeatures: number; outFeatures: number }>;
}

const TENSOR_NAME = /^base_model\.model\.(model\.layers\.\d+\.(?:self_attn|mlp)\.[a-z_]+)\.lora_([AB])(?:\.default)?\.weight$/;

/** Reads a PEFT LoRA adapter folder (ours or peft's). Throws {@link AdapterError} naming the problem. */
export function loadAdapter(dir: string): LoadedAdapter {
  const configPath = path.join(dir, 'adapter_config.json');
  const weightsPath = path.join(dir, 'adapter_model.safetensors');
  if (!fs.existsSync(configPath)) throw new AdapterError(`${dir} has no adapter_config.json: pass a PEFT adapter folder (a run's final/ or checkpoint-<step>/)`);
  if (!fs.existsSync(weightsPath)) {
    const hint = fs.existsSync(path.join(dir, 'adapter_model.bin')) ? ': it has adapter_model.bin, which is a pickle; re-save it with safe_serialization=True' : '';
    throw new AdapterError(`${dir} has no adapter_model.safetensors${hint}`);
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new AdapterError(`${configPath} is not valid JSON (${(error as Error).message})`);
  }
  if (config['peft_type'] !== 'LORA') throw new AdapterError(`${configPath}: peft_type is ${JSON.stringify(config['peft_type'])}; only LORA adapters are supported`);
  if (config['use_dora'] === true) throw new AdapterError(`${configPath}: DoRA adapters (use_dora) are not supported`);
  const alpha = config['lora_alpha'];
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new AdapterError(`${configPath}: lora_alpha must be a positive number, not ${JSON.stringify(alpha)}`);
  const patterns = ['rank_pattern', 'alpha_pattern'].filter((k) => config[k] && typeof config[k] === 'object' && Object.keys(config[k] as object).length > 0);
  if (patterns.length > 0) throw new AdapterError(`${configPath}: per-module ${patterns.join(' and ')} are not supported`);

  const file = SafetensorsFile.open(weightsPath);
  const halves = new Map<string, { a?: { shape: number[]; values: Float32Array }; b?: { shape: number[]; values: Float32Array } }>();
  try {
    for (const name of file.tensors.keys()) {
      const match = TENSOR_NAME.exec(name);
      if (!match) throw new AdapterError(`${weightsPath}: tensor "${name}" is not a LoRA weight of a decoder layer (modules_to_save and embedding adapters are not supported)`);
      const entry = halves.get(match[1]!) ?? {};
      entry[match[2] === 'A' ? 'a' : 'b'] = file.read(name);
      halves.set(match[1]!, entry);
    }
  } finally {
    file.close();
  }
  const weights: LoadedAdapter['weights'] = new Map();
  for (const [module, { a, b }] of halves) {
    if (!a || !b) throw new AdapterError(`${weightsPath}: ${module} has lora_${a ? 'B' : 'A'} missing`);
    const [rank, inFeatures] = a.shape as [number, number];
    const [outFeatures, rankB] = b.shape as [number, number];
    if (a.shape.length !== 2 || b.shape.length !== 2 || rank !== rankB) throw new AdapterError(`${weightsPath}: ${module} has lora_A ${JSON.stringify(a.shape)} and lora_B ${JSON.stringify(b.shape)}, which do not chain`);
    weights.set(module, { aT: transpose(a.values, rank, inFeatures), bT: transpose(b.values, outFeatures, rank), rank, inFeatures, outFeatures });
  }
  if (weights.size === 0) throw new AdapterError(`${weightsPath} holds no LoRA weights`);
  return {
    dir,
    baseModel: typeof config['base_model_name_or_path'] === 'string' ? config['base_model_name_or_path'] : undefined,
    settings: { lora_alpha: alpha, lora_dropout: typeof config['lora_dropout'] === 'number' ? config['lora_dropout'] : 0, use_rslora: config['use_rslora'] === true },
    weights,
  };
}

/** The chat template an adapter folder carries (the one its training data was rendered with), if any. */
export function adapterTemplateFile(dir: string): string | undefined {
  const file = path.join(dir, 'chat_template.jinja');
  return fs.existsSync(file) ? path.resolve(file) : undefined;
}

/** (rows, cols) row-major -> (cols, rows) row-major. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  }
  return out;
}
