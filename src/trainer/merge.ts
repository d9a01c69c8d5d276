/**
 * Merging a LoRA adapter into its base model, as peft's `merge_and_unload` does:
 * `W' = W + scaling * B A` for every adapted module, computed in float64 from the base model's
 * own (unquantized) weights, so a QLoRA adapter merges into the full-precision base and never into
 * 4-bit weights. The result is a standalone Hugging Face folder: config.json, model.safetensors,
 * tokenizer files and the chat template the adapter was trained with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../common/errors';
import { loraScaling } from './model/lora';
import { loadAdapter } from './peftAdapter';
import { writeFileAtomic } from './runFolder';
import { readModelConfig } from './model/config';
import { ModelWeights } from './weights/modelWeights';
import { writeSafetensors, type SafetensorsDtype, type TensorToWrite } from './weights/safetensors';

export type MergeDtype = 'f32' | 'f16' | 'bf16';

const COPIED_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'chat_template.jinja'];
const DTYPES: Record<MergeDtype, { safetensors: SafetensorsDtype; torch: string }> = {
  f32: { safetensors: 'F32', torch: 'float32' }, f16: { safetensors: 'F16', torch: 'float16' }, bf16: { safetensors: 'BF16', torch: 'bfloat16' },
};

export interface MergeResult {
  mergedModules: number;
  tensors: number;
  bytes: number;
}

export function mergeAdapter(modelDir: string, adapterDir: string, outDir: string, dtype: MergeDtype): MergeResult {
  const config = readModelConfig(modelDir);
  if (config.architecture === 'phi3') throw new UserError('Merging into Phi-3 models (fused projections) is not supported');
  const adapter = loadAdapter(adapterDir);
  const weights = ModelWeights.open(modelDir);
  const tensors = new Map<string, TensorToWrite>();
  let merged = 0;
  try {
    for (const [module] of adapter.weights) {
      if (!weights.has(`${module}.weight`)) throw new UserError(`The adapter in ${adapterDir} adapts ${module}, which the model in ${modelDir} does not have: was it trained on another model?`);
    }
    for (const name of weights.names()) {
      const shape = weights.shapeOf(name);
      const values = weights.read(name, shape);
      const lora = name.endsWith('.weight') ? adapter.weights.get(name.slice(0, -'.weight'.length)) : undefined;
      if (lora) {
        if (lora.outFeatures !== shape[0] || lora.inFeatures !== shape[1]) {
          throw new UserError(`${name} is [${shape.join(', ')}] but the adapter's update is [${lora.outFeatures}, ${lora.inFeatures}]: the adapter belongs to another model`);
        }
        addLowRank(values, lora.aT, lora.bT, lora.rank, lora.inFeatures, lora.outFeatures, loraScaling(adapter.settings.lora_alpha, lora.rank, adapter.settings.use_rslora));
        merged++;
      }
      tensors.set(name, { shape, values, dtype: DTYPES[dtype].safetensors });
    }
  } finally {
    weights.close();
  }
  fs.mkdirSync(outDir, { recursive: true });
  writeSafetensors(path.join(outDir, 'model.safetensors'), tensors, { format: 'pt' });
  const rawConfig = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileAtomic(path.join(outDir, 'config.json'), `${JSON.stringify({ ...rawConfig, torch_dtype: DTYPES[dtype].torch }, null, 2)}\n`);
  for (const name of COPIED_FILES) {
    // The adapter's copy wins: it carries the template that rendered the training data.
    const source = [adapterDir, modelDir].map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file));
    if (source) writeFileAtomic(path.join(outDir, name), fs.readFileSync(source));
  }
  const bytes = fs.statSync(path.join(outDir, 'model.safetensors')).size;
  return { mergedModules: merged, tensors: tensors.size, bytes };
}

/** W (out, in) += scaling * B A, with A^T (in, r) and B^T (r, out) row-major; sums in float64. */
export function addLowRank(w: Float32Array, aT: Float32Array, bT: Float32Array, rank: number, inFeatures: number, outFeatures: number, scaling: number): void {
  const column = new Float64Array(rank);
  for (let o = 0; o < outFeatures; o++) {
    for (let r = 0; r < rank; r++) column[r] = bT[r * outFeatures + o]! * scaling;
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) {
      let sum = 0;
      const a = i * rank;
      for (let r = 0; r < rank; r++) sum += column[r]! * aT[a + r]!;
      w[row + i] = w[row + i]! + sum;
    }
  }
}
