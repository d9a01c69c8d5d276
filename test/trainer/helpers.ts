/** Shared trainer-test helpers: tiny models in a temp folder, the backend, the PyTorch reference. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/trainer/backend';
import type { LlamaModel } from '../../src/trainer/model/llama';
import { writeTinyModel, type TinyModelOptions } from '../fixtures/tinyModels';
import { ROOT } from '../helpers';

const modelsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-models-'));
process.on('exit', () => fs.rmSync(modelsRoot, { recursive: true, force: true }));

let backendReady: Promise<unknown> | undefined;
export function useWasm(): Promise<unknown> {
  backendReady ??= initBackend('wasm');
  return backendReady;
}

const written = new Map<string, string>();
export function tinyModel(options: TinyModelOptions): string {
  const key = JSON.stringify(options);
  let dir = written.get(key);
  if (!dir) {
    dir = writeTinyModel(path.join(modelsRoot, `m${written.size}`), options);
    written.set(key, dir);
  }
  return dir;
}

/** Debian's python3 with python3-torch (scripts/setup-reference.sh installs it). */
export const REFERENCE_PYTHON = '/usr/bin/python3';

/** Why the PyTorch reference cannot run on this machine, or false when it can: tests that need it skip with this. */
export const REFERENCE_MISSING: string | false = spawnSync(REFERENCE_PYTHON, ['-c', 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("torch") and u.find_spec("numpy") else 1)']).status === 0
  ? false
  : `the PyTorch reference (${REFERENCE_PYTHON} with torch and numpy) is not installed: run scripts/setup-reference.sh`;

export interface ReferenceResult {
  logprobs: number[][];
  greedy: number[];
  margins: number[];
}

/** The float64 PyTorch reference (test/reference/hf_reference.py) on the same folder, with a PEFT adapter if given. */
export function reference(modelDir: string, ids: readonly number[], greedySteps = 0, adapterDir?: string): ReferenceResult {
  const script = path.join(ROOT, 'test', 'reference', 'hf_reference.py');
  const output = execFileSync(REFERENCE_PYTHON, [script, modelDir, ids.join(','), String(greedySteps), ...(adapterDir ? [adapterDir] : [])], { maxBuffer: 1 << 28 });
  return JSON.parse(output.toString()) as ReferenceResult;
}

/** Log-probabilities of every next token, from our model, as plain arrays. */
export async function logprobsOf(model: LlamaModel, ids: readonly number[]): Promise<number[][]> {
  return logprobsOfForward(model, ids);
}

/** Log-softmax of each row of logits, in float64. */
export function logSoftmaxRows(logits: readonly (readonly number[])[]): number[][] {
  return logits.map((row) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    return row.map((v) => v - logSumExp);
  });
}

/** Log-probabilities of every next token for one forward pass, with an optional KV cache. */
export function logprobsOfForward(model: LlamaModel, ids: readonly number[], cache?: Parameters<LlamaModel['forward']>[1]): number[][] {
  const logits = model.forward([ids], cache);
  const logprobs = tf.tidy(() => tf.logSoftmax(logits));
  const rows = (logprobs.arraySync() as number[][][])[0]!;
  logits.dispose();
  logprobs.dispose();
  return rows;
}

/** The largest absolute difference between two tables of numbers. */
export function maxDifference(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  let max = 0;
  a.forEach((row, t) => row.forEach((value, i) => { max = Math.max(max, Math.abs(value - b[t]![i]!)); }));
  return max;
}

/** A folder for one test's outputs, removed when the process exits. */
export function scratchDir(name: string): string {
  return fs.mkdtempSync(path.join(modelsRoot, `${name}-`));
}
