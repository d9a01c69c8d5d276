/**
 * Model benchmark on the WASM backend: prompt (forward) and generation tokens/s and peak RSS,
 * for the tiny test model and a SmolLM2-135M-shaped model with random weights (hidden 576,
 * 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab 49,152). Each model runs in its own
 * process so its peak RSS is its own.
 *
 *   npx tsx bench/model.bench.ts [--backend wasm|webgpu|cpu] [--models tiny,smollm2-135m-shape]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, type BackendRequest } from '../src/trainer/backend';
import { generate } from '../src/trainer/generate';
import { LlamaModel } from '../src/trainer/model/llama';
import { SMOLLM2_135M_SHAPE, TINY_SHAPE, writeTinyModel, type ModelShape } from '../test/fixtures/tinyModels';

const ROOT = path.resolve(__dirname, '..');
const MODELS: Record<string, ModelShape> = { tiny: TINY_SHAPE, 'smollm2-135m-shape': SMOLLM2_135M_SHAPE };
const PROMPT_TOKENS = 128;
const NEW_TOKENS = 32;

async function measure(name: string, backend: BackendRequest): Promise<Record<string, number | string>> {
  const dir = path.join(ROOT, '.bench', `model-${name}`);
  if (!fs.existsSync(path.join(dir, 'config.json'))) writeTinyModel(dir, { architecture: 'llama', shape: MODELS[name]!, dtype: 'BF16', seed: 3 });
  const choice = await initBackend(backend);
  const loadStart = performance.now();
  const model = LlamaModel.load(dir);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const prompt = Array.from({ length: PROMPT_TOKENS }, (_, i) => 1 + ((i * 7919) % 30000));
  model.forward([prompt.slice(0, 8)]).dispose(); // warm up kernels
  const forwardStart = performance.now();
  model.forward([prompt]).dispose();
  const forwardSeconds = (performance.now() - forwardStart) / 1000;
  const generation = await generate(model, prompt.slice(0, 16), { maxNewTokens: NEW_TOKENS, temperature: 0, topP: 1, stopIds: new Set(), seed: 1 });
  return {
    model: name,
    backend: choice.name,
    loadSeconds: round(loadSeconds),
    forwardTokensPerSecond: round(PROMPT_TOKENS / forwardSeconds),
    generationTokensPerSecond: round(generation.ids.length / generation.decodeSeconds),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function main(): Promise<void> {
  const backendIndex = process.argv.indexOf('--backend');
  const backend = (backendIndex >= 0 ? process.argv[backendIndex + 1] : 'wasm') as BackendRequest;
  const only = process.argv.indexOf('--model');
  if (only >= 0) {
    process.stdout.write(JSON.stringify(await measure(process.argv[only + 1]!, backend)));
    return;
  }
  console.log(`backend ${backend}; prompt ${PROMPT_TOKENS} tokens (one forward pass); generation ${NEW_TOKENS} new tokens after a 16-token prompt, greedy, KV cache; node ${process.version}`);
  const modelsIndex = process.argv.indexOf('--models');
  const names = modelsIndex >= 0 ? process.argv[modelsIndex + 1]!.split(',') : Object.keys(MODELS);
  for (const name of names) {
    if (!MODELS[name]) throw new Error(`unknown model ${name}: choose from ${Object.keys(MODELS).join(', ')}`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--model', name, '--backend', backend], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${name} failed: ${child.stderr}`);
    console.log(JSON.stringify(JSON.parse(child.stdout)));
  }
}

void main();
