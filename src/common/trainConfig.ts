/**
 * The training settings of `sft-studio.json`, named as Hugging Face names them so configs carry
 * over: peft's `LoraConfig` (`lora`), bitsandbytes' 4-bit options (`quantization`), TRL's
 * `SFTConfig` (`training`), plus sample generations (`samples`). One table holds every field's
 * type, bounds, default and description; validation, `--set` parsing and the JSON schema's
 * descriptions (kept in step by a test) all come from it. Pure: no file system.
 */
import { didYouMean } from './didYouMean';

/** TRL's default `max_length`, used by the checker and the trainer alike. */
export const DEFAULT_MAX_LENGTH = 1024;

export type FieldSpec =
  | { kind: 'integer'; default: number | null; min: number; max?: number; nullable?: boolean; description: string }
  | { kind: 'number'; default: number; min: number; max?: number; exclusiveMin?: boolean; description: string }
  | { kind: 'boolean'; default: boolean; description: string }
  | { kind: 'enum'; default: string; values: readonly string[]; description: string }
  | { kind: 'modules'; default: readonly string[]; description: string }
  | { kind: 'strings'; default: readonly string[]; description: string };

/** Hugging Face module names a LoRA adapter can attach to in a Llama-family decoder. */
export const LINEAR_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LinearModule = (typeof LINEAR_MODULES)[number];

export const TRAIN_SECTIONS = {
  lora: {
    r: { kind: 'integer', default: 16, min: 1, max: 1024, description: 'LoRA rank: the inner dimension of each adapter (peft LoraConfig.r).' },
    lora_alpha: { kind: 'number', default: 32, min: 0, exclusiveMin: true, description: 'LoRA scaling numerator: updates are scaled by lora_alpha / r (or / sqrt(r) with use_rslora). Usually 2 * r.' },
    lora_dropout: { kind: 'number', default: 0.05, min: 0, max: 0.99, description: 'Dropout on the input of each LoRA adapter during training.' },
    target_modules: { kind: 'modules', default: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], description: 'Linear layers that get adapters, by Hugging Face module name, or "all-linear".' },
    bias: { kind: 'enum', default: 'none', values: ['none'], description: 'Which biases train; only "none" (peft\'s default) is supported.' },
    use_rslora: { kind: 'boolean', default: false, description: 'Rank-stabilised LoRA: scale by lora_alpha / sqrt(r) instead of lora_alpha / r.' },
  },
  quantization: {
    load_in_4bit: { kind: 'boolean', default: false, description: 'QLoRA: store the frozen linear weights in 4 bits and dequantize them layer by layer.' },
    bnb_4bit_quant_type: { kind: 'enum', default: 'nf4', values: ['nf4'], description: 'The 4-bit data type; "nf4" (NormalFloat4, block size 64) as in the QLoRA paper.' },
    bnb_4bit_use_double_quant: { kind: 'boolean', default: false, description: 'Quantize the per-block scales too (8-bit, blocks of 256), saving about 0.4 bits per weight.' },
  },
  training: {
    num_train_epochs: { kind: 'number', default: 3, min: 0, exclusiveMin: true, description: 'Passes over the dataset (ignored when max_steps is positive).' },
    max_steps: { kind: 'integer', default: -1, min: -1, description: 'Optimizer steps to run; -1 runs num_train_epochs.' },
    per_device_train_batch_size: { kind: 'integer', default: 2, min: 1, max: 1024, description: 'Examples per forward pass.' },
    gradient_accumulation_steps: { kind: 'integer', default: 4, min: 1, max: 4096, description: 'Forward passes whose gradients add up to one optimizer step.' },
    learning_rate: { kind: 'number', default: 2e-4, min: 0, exclusiveMin: true, max: 1, description: 'Peak learning rate of AdamW.' },
    lr_scheduler_type: { kind: 'enum', default: 'linear', values: ['linear', 'cosine', 'constant', 'constant_with_warmup'], description: 'How the learning rate changes after warmup.' },
    warmup_ratio: { kind: 'number', default: 0, min: 0, max: 1, description: 'Share of the steps over which the learning rate rises linearly from 0.' },
    weight_decay: { kind: 'number', default: 0, min: 0, max: 1, description: 'AdamW decoupled weight decay.' },
    max_grad_norm: { kind: 'number', default: 1, min: 0, description: 'Clip gradients to this global norm; 0 turns clipping off.' },
    assistant_only_loss: { kind: 'boolean', default: true, description: 'Train only the assistant replies (and their end-of-turn token); false trains every token.' },
    packing: { kind: 'boolean', default: false, description: 'Pack several examples into each max_length row, without attention across examples.' },
    gradient_checkpointing: { kind: 'boolean', default: false, description: 'Recompute each layer in the backward pass instead of keeping its activations: less memory, about a third slower.' },
    logging_steps: { kind: 'integer', default: 10, min: 1, description: 'Write a step event every this many optimizer steps.' },
    save_strategy: { kind: 'enum', default: 'epoch', values: ['no', 'steps', 'epoch'], description: 'When to write a checkpoint; final/ is always written.' },
    save_steps: { kind: 'integer', default: 500, min: 1, description: 'Steps between checkpoints when save_strategy is "steps".' },
    eval_steps: { kind: 'integer', default: null, min: 1, nullable: true, description: 'Steps between evaluations on eval_dataset; null evaluates at the end of each epoch.' },
    seed: { kind: 'integer', default: 42, min: 0, description: 'Seed for adapter initialisation, data order and dropout.' },
  },
  samples: {
    prompts: { kind: 'strings', default: [], description: 'User messages to answer with the adapter while it trains.' },
    every_n_steps: { kind: 'integer', default: 50, min: 1, description: 'Generate samples every this many optimizer steps, and at the end.' },
    max_new_tokens: { kind: 'integer', default: 50, min: 1, max: 4096, description: 'Length limit of each sample.' },
  },
} as const satisfies Record<string, Record<string, FieldSpec>>;

export type TrainSection = keyof typeof TRAIN_SECTIONS;

export interface LoraSettings {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: LinearModule[] | 'all-linear';
  bias: 'none';
  use_rslora: boolean;
}

export interface QuantizationSettings {
  load_in_4bit: boolean;
  bnb_4bit_quant_type: 'nf4';
  bnb_4bit_use_double_quant: boolean;
}

export interface TrainingSettings {
  num_train_epochs: number;
  max_steps: number;
  per_device_train_batch_size: number;
  gradient_accumulation_steps: number;
  learning_rate: number;
  lr_scheduler_type: 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  assistant_only_loss: boolean;
  packing: boolean;
  gradient_checkpointing: boolean;
  logging_steps: number;
  save_strategy: 'no' | 'steps' | 'epoch';
  save_steps: number;
  eval_steps: number | null;
  seed: number;
}

export interface SampleSettings {
  prompts: string[];
  every_n_steps: number;
  max_new_tokens: number;
}

/** The settings a run trains with, every default filled in; saved as the run's config.json. */
export interface TrainConfig {
  /** A model folder (resolved to an absolute path) or a Hugging Face hub id found in the cache. */
  model: string;
  dataset: string;
  eval_dataset: string | null;
  output_dir: string;
  template: string | null;
  max_length: number;
  lora: LoraSettings;
  quantization: QuantizationSettings;
  training: TrainingSettings;
  samples: SampleSettings;
}

/** Top-level keys of `sft-studio.json`, the checker's and the trainer's together. */
export const PROJECT_KEYS = ['model', 'dataset', 'eval_dataset', 'output_dir', 'template', 'max_length', 'rules', ...Object.keys(TRAIN_SECTIONS)] as const;

/** The section's defaults, for a form or a new project file. */
export function sectionDefaults(section: TrainSection): Record<string, unknown> {
  return Object.fromEntries(Object.entries(TRAIN_SECTIONS[section]).map(([key, spec]) => [key, Array.isArray(spec.default) ? [...spec.default] : spec.default]));
}

/** Checks one field's value; returns the value to use, or an error that names field, value and what is allowed. */
export function checkField(name: string, spec: FieldSpec, value: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  const shown = JSON.stringify(value);
  const fail = (allowed: string): { ok: false; error: string } => ({ ok: false, error: `"${name}" is ${shown}, but it must be ${allowed}` });
  switch (spec.kind) {
    case 'integer': {
      if (value === null && spec.nullable) return { ok: true, value };
      const range = `${spec.max === undefined ? `at least ${spec.min}` : `from ${spec.min} to ${spec.max}`}`;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || (spec.max !== undefined && value > spec.max)) {
        return fail(`a whole number ${range}${spec.nullable ? ', or null' : ''}`);
      }
      return { ok: true, value };
    }
    case 'number': {
      const low = spec.exclusiveMin ? value !== undefined && typeof value === 'number' && value <= spec.min : typeof value === 'number' && value < spec.min;
      if (typeof value !== 'number' || !Number.isFinite(value) || low || (spec.max !== undefined && value > spec.max)) {
        return fail(`a number ${spec.exclusiveMin ? 'above' : 'from'} ${spec.min}${spec.max === undefined ? (spec.exclusiveMin ? '' : ' up') : `${spec.exclusiveMin ? ' and at most' : ' to'} ${spec.max}`}`);
      }
      return { ok: true, value };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : fail('true or false');
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? { ok: true, value } : fail(`one of ${spec.values.map((v) => `"${v}"`).join(', ')}`);
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? { ok: true, value: [...value] } : fail('a list of strings');
    case 'modules': {
      if (value === 'all-linear') return { ok: true, value };
      const allowed = `"all-linear" or a non-empty list of ${LINEAR_MODULES.join(', ')}`;
      if (!Array.isArray(value) || value.length === 0) return fail(allowed);
      const unknown = value.find((v) => typeof v !== 'string' || !(LINEAR_MODULES as readonly string[]).includes(v));
      if (unknown !== undefined) {
        const hint = typeof unknown === 'string' ? didYouMean(unknown, LINEAR_MODULES) : undefined;
        return { ok: false, error: `"${name}" names ${JSON.stringify(unknown)}, which is not a linear layer of this model${hint ? ` (did you mean "${hint}"?)` : ''}; use ${allowed}` };
      }
      return { ok: true, value: [...new Set(value as string[])] };
    }
  }
}

/**
 * Validates one section object, filling defaults; unknown keys are errors with a "did you mean",
 * so a typo such as `lora_alhpa` never trains silently with a default.
 */
export function validateSection(section: TrainSection, raw: unknown, errors: string[]): Record<string, unknown> {
  const specs = TRAIN_SECTIONS[section] as Record<string, FieldSpec>;
  const result = sectionDefaults(section);
  if (raw === undefined) return result;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push(`"${section}" must be an object of settings such as ${JSON.stringify(Object.fromEntries(Object.entries(result).slice(0, 2)))}`);
    return result;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = specs[key];
    if (!spec) {
      errors.push(unknownKeyMessage(`${section}.${key}`, key, Object.keys(specs)));
      continue;
    }
    const checked = checkField(`${section}.${key}`, spec, value);
    if (checked.ok) result[key] = checked.value;
    else errors.push(checked.error);
  }
  return result;
}

export function unknownKeyMessage(shownName: string, key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  return `"${shownName}" is not a setting${hint ? `: did you mean "${hint}"?` : `; known here: ${known.join(', ')}`}`;
}

/**
 * Parses a `--set section.key=value` override into the raw object it stands for: numbers,
 * booleans and null as JSON, lists as JSON or comma-separated, anything else as a string.
 */
export function parseOverride(assignment: string): { path: [string] | [string, string]; value: unknown } | { error: string } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) return { error: `--set ${assignment}: write it as section.key=value, such as training.learning_rate=1e-4` };
  const keys = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  if (keys.length > 2 || keys.some((k) => k.length === 0)) return { error: `--set ${assignment}: the name must be key or section.key` };
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.includes(',')) value = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  }
  return { path: keys as [string] | [string, string], value };
}
