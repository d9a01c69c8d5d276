/**
 * Training-step benchmark: tokens/s and peak RSS of one LoRA step (r=16 on q, k, v, o; batch 1;
 * sequence 256, every token trained; AdamW) for the tiny model and a SmolLM2-135M-shaped model
 * with random weights and tied embeddings, LoRA and QLoRA, with and without gradient checkpointing. Each
 * configuration runs in its own process, so its peak RSS is its own; the step time is the
 * median of several steps after a warm-up step. `bench/train_reference.py` times the same step
 * in PyTorch for comparison.
 *
 *   npx tsx bench/train.bench.ts [--backend wasm|webgpu|cpu] [--models tiny,smollm2-135m-shape] [--steps N]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, type BackendRequest } from '../src/trainer/backend';
import { LlamaModel } from '../src/trainer/model/llama';
import { attachLora } from '../src/trainer/model/lora';
import { makeBatch } from '../src/trainer/train/batches';
import { AdamW } from '../src/trainer/train/optimizer';
import { trainStep } from '../src/trainer/train/step';
import { SMOLLM2_135M_SHAPE, TINY_SHAPE, writeTinyModel, type ModelShape } from '../test/fixtures/tinyModels';
import { median } from './median';

const ROOT = path.resolve(__dirname, '..');
const MODELS: Record<string, ModelShape> = { tiny: TINY_SHAPE, 'smollm2-135m-shape': SMOLLM2_135M_SHAPE };
const SEQUENCE = 256;
const VARIANTS = [
  { name: 'lora', qlora: false, checkpointing: false },
  { name: 'lora+checkpointing', qlora: false, checkpointing: true },
  { name: 'qlora', qlora: true, checkpointing: false },
  { name: 'qlora+checkpointing', qlora: true, checkpointing: true },
];

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}


async function measure(modelName: string, variantName: string, backend: BackendRequest, steps: number): Promise<Record<string, number | string>> {
  const variant = VARIANTS.find((v) => v.name === variantName)!;
  // Tied embeddings, as SmolLM2-135M has them.
  const dir = path.join(ROOT, '.bench', `train-model-${modelName}`);
  if (!fs.existsSync(path.join(dir, 'config.json'))) writeTinyModel(dir, { architecture: 'llama', shape: MODELS[modelName]!, dtype: 'BF16', seed: 3, tieEmbeddings: true });
  const choice = await initBackend(backend);
  const model = LlamaModel.load(dir, variant.qlora ? { nf4: { doubleQuant: true } } : {});
  const adapter = attachLora(model, { r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], bias: 'none', use_rslora: false }, 1);
  const optimizer = new AdamW(adapter.variables(), adapter.variableNames(), 0);
  const ids = Array.from({ length: SEQUENCE }, (_, i) => 1 + ((i * 7919) % 30000));
  const batch = makeBatch([[{ ids, trained: new Uint8Array(SEQUENCE).fill(1), line: 0 }]], 0);
  const times: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const started = performance.now();
    await trainStep(model, adapter, optimizer, [batch], { learningRate: 1e-4, maxGradNorm: 1, gradientCheckpointing: variant.checkpointing, dropoutSeed: step });
    if (step > 0) times.push((performance.now() - started) / 1000); // step 0 warms the kernels up
  }
  const seconds = median(times);
  return {
    model: modelName, variant: variant.name, backend: choice.name, steps,
    medianStepSeconds: round(seconds, 3), tokensPerSecond: round(SEQUENCE / seconds, 1),
    minTokensPerSecond: round(SEQUENCE / Math.max(...times), 1), maxTokensPerSecond: round(SEQUENCE / Math.min(...times), 1),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 0),
  };
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

async function main(): Promise<void> {
  const backend = (flag('backend') ?? 'wasm') as BackendRequest;
  const steps = Number(flag('steps') ?? 5);
  const one = flag('one');
  if (one) {
    const [modelName, variant] = one.split(':');
    process.stdout.write(JSON.stringify(await measure(modelName!, variant!, backend, steps)));
    return;
  }
  console.log(`LoRA step: r=16 on q,k,v,o; batch 1; sequence ${SEQUENCE}; backend ${backend}; median of ${steps} steps after a warm-up; node ${process.version}`);
  const names = (flag('models') ?? Object.keys(MODELS).join(',')).split(',');
  const variants = (flag('variants') ?? VARIANTS.map((v) => v.name).join(',')).split(',');
  for (const name of names) {
    if (!MODELS[name]) throw new Error(`unknown model ${name}: choose from ${Object.keys(MODELS).join(', ')}`);
    for (const variant of variants) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--one', `${name}:${variant}`, '--backend', backend, '--steps', String(steps)], { encoding: 'utf8' });
      if (child.status !== 0) {
        console.log(JSON.stringify({ model: name, variant, error: child.stderr.trim().split('\n').slice(-3).join(' ') }));
        continue;
      }
      console.log(child.stdout);
    }
  }
}

void main();
