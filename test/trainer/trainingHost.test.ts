/**
 * The editor's side of training without the editor: the run registry launching the real trainer
 * (`bin/sft-studio train --events stdout`) as a child process, following its events, stopping it,
 * recording a killed trainer as failed, picking up a run that another process writes (as after a
 * window reload), and a trainer that outlives the process that launched it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RUN_FILES } from '../../src/common/runFiles';
import { shownStatus } from '../../src/common/runView';
import { parseEvents } from '../../src/common/trainerProtocol';
import { findNodeRuntime, findOnPath, NodeRuntimeError } from '../../src/training/nodeRuntime';
import { EventFileReader } from '../../src/training/runFolder';
import { INTERRUPTED_MESSAGE, RunRegistry, type TrainingRun } from '../../src/training/runRegistry';
import { ROOT } from '../helpers';
import { scratchDir, tinyModel } from './helpers';

const CLI = path.join(ROOT, 'bin', 'sft-studio');
const NODE = { executable: process.execPath, env: {}, source: 'PATH' as const };

/** A project whose run is long enough to be stopped or killed part way: one step per example, many epochs. */
function project(folderName = 'project'): { dir: string; file: string } {
  const dir = path.join(scratchDir('training-host'), folderName);
  fs.mkdirSync(dir, { recursive: true });
  const model = tinyModel({ architecture: 'llama', tokenizer: 'llama3', embeddingStd: 0.2, linearStd: 0.08 });
  const lines = ['Hello!', 'How are you?', 'Thanks!'].map((q, i) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: ["G'day!", 'Not bad, mate.', 'No worries!'][i] }] }));
  fs.writeFileSync(path.join(dir, 'train.sft.jsonl'), `${lines.join('\n')}\n`);
  const file = path.join(dir, 'sft-studio.json');
  fs.writeFileSync(file, JSON.stringify({
    model, dataset: 'train.sft.jsonl', max_length: 32,
    lora: { r: 4, lora_alpha: 8 },
    training: { num_train_epochs: 400, per_device_train_batch_size: 1, gradient_accumulation_steps: 1, learning_rate: 1e-3, logging_steps: 1, save_strategy: 'steps', save_steps: 2 },
    samples: { prompts: ['Hello!'], every_n_steps: 2, max_new_tokens: 4 },
  }));
  return { dir, file };
}

function registry(log: string[] = []): RunRegistry {
  return new RunRegistry({ pollMs: 100, stopTimeoutMs: () => 30_000, log: (line) => log.push(line) });
}

/** Resolves when `predicate` holds for the run after some change, or rejects after `ms`. */
function until(reg: RunRegistry, run: TrainingRun, predicate: (run: TrainingRun) => boolean, what: string, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate(run)) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; status ${run.state.status}, ${run.state.steps.length} steps, ${run.info.liveness}`));
    }, ms);
    const off = reg.onChange((change) => {
      if (change.run === run && predicate(run)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

test('a launched trainer streams its events, stops on request after saving, and leaves a resumable, complete record', async () => {
  const { dir, file } = project("with spaces $(echo x) & 'quotes'");
  const runDir = path.join(dir, 'runs', 'first run');
  const reg = registry();
  const run = reg.launch(runDir, { runtime: NODE, cliPath: CLI, cwd: dir, args: [file, '--output-dir', runDir, '--backend', 'wasm'] }, { dataset: 'train.sft.jsonl', model: 'tiny' });
  assert.equal(run.info.liveness, 'live');
  await until(reg, run, (r) => r.state.steps.length >= 3 && r.state.samples.length >= 1, 'three steps and a sample');
  assert.equal(run.state.status, 'running');
  assert.ok(fs.existsSync(path.join(runDir, RUN_FILES.pid)), 'the trainer marks the folder while it runs');
  reg.stop(run);
  await until(reg, run, (r) => r.info.liveness === 'ended', 'the run to end');
  assert.equal(run.state.status, 'stopped');
  assert.equal(run.state.end?.adapter, 'final');
  assert.ok(fs.existsSync(path.join(runDir, 'final', 'adapter_model.safetensors')));
  assert.ok(!fs.existsSync(path.join(runDir, RUN_FILES.pid)), 'the mark is removed when the trainer exits');
  assert.equal(run.info.resumable, true, 'stopping saved a checkpoint');
  // What was streamed is what the folder records: a new reader (a reloaded window) sees the same run.
  const again = registry().open(runDir);
  assert.deepEqual(again.state, run.state);
  assert.equal(again.info.liveness, 'ended');
  reg.dispose();

  // Resume continues the same folder from its checkpoint, and the history stays one curve.
  const resumed = reg.launch(runDir, { runtime: NODE, cliPath: CLI, cwd: dir, args: ['--resume', runDir, '--backend', 'wasm'] }, run.info);
  assert.equal(resumed, run);
  const stoppedAt = run.state.end!.step;
  await until(reg, run, (r) => r.state.status === 'running' && r.state.steps.some((s) => s.step > stoppedAt), 'a step after the resume');
  assert.equal(run.state.started?.resumedFromStep, stoppedAt);
  const steps = run.state.steps.map((s) => s.step);
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'steps stay in order across the resume');
  reg.stop(run);
  await until(reg, run, (r) => r.info.liveness === 'ended', 'the resumed run to end');
  assert.equal(run.state.status, 'stopped');
});

test('a killed trainer ends as failed with its last words, and the folder records it', async () => {
  const { dir, file } = project();
  const runDir = path.join(dir, 'runs', 'killed');
  const log: string[] = [];
  const reg = registry(log);
  const run = reg.launch(runDir, { runtime: NODE, cliPath: CLI, cwd: dir, args: [file, '--output-dir', runDir, '--backend', 'wasm'] }, { dataset: 'd', model: 'm' });
  await until(reg, run, (r) => r.state.steps.length >= 1, 'a step');
  process.kill(-run.process!.pid!, 'SIGKILL');
  await until(reg, run, (r) => r.info.liveness === 'ended', 'the run to end');
  assert.equal(run.state.status, 'failed');
  assert.match(run.info.failure ?? '', /was ended by SIGKILL before the run ended/);
  assert.match(run.info.failure ?? '', /Its last output:\n.*run folder: /s, 'the failure quotes the trainer\'s stderr');
  assert.ok(log.some((line) => line.includes('trainable params')), 'stderr goes to the log');
  const recorded = parseEvents(fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8'));
  assert.equal(recorded[recorded.length - 1]!.type, 'failed');
  const reopened = registry().open(runDir);
  assert.equal(reopened.state.status, 'failed');
  assert.equal(reopened.info.failure, run.info.failure);
  reg.dispose();
});

test('a trainer that outlives the process that launched it keeps writing, and a new registry follows and stops it', async () => {
  const { dir, file } = project();
  const runDir = path.join(dir, 'runs', 'adopted');
  // The launching process (an editor window) starts the trainer and exits at once.
  const launcher = `const { RunRegistry } = require(${JSON.stringify(path.join(ROOT, 'src', 'training', 'runRegistry.ts'))});
const reg = new RunRegistry({ pollMs: 100, stopTimeoutMs: () => 30000, log: () => {} });
reg.launch(${JSON.stringify(runDir)}, { runtime: { executable: process.execPath, env: {}, source: 'PATH' }, cliPath: ${JSON.stringify(CLI)}, cwd: ${JSON.stringify(dir)}, args: [${JSON.stringify(file)}, '--output-dir', ${JSON.stringify(runDir)}, '--backend', 'wasm'] }, { dataset: 'd', model: 'm' });
setTimeout(() => process.exit(0), 1500);`;
  const parent = spawnSync(process.execPath, ['--import', 'tsx', '-e', launcher], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(parent.status, 0, parent.stderr);
  const reg = registry();
  // The new window finds the folder and a live trainer in it.
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(path.join(runDir, RUN_FILES.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const run = reg.open(runDir);
  assert.equal(run.info.liveness, 'live');
  assert.ok(run.otherPid !== undefined);
  const seen = run.state.steps.length;
  await until(reg, run, (r) => r.state.steps.length > seen + 2, 'steps written after the launcher exited');
  reg.stop(run);
  await until(reg, run, (r) => r.info.liveness === 'ended', 'the stopped run to end');
  assert.equal(run.state.status, 'stopped', 'SIGTERM is the cooperative stop: the adapter was saved');
  assert.ok(fs.existsSync(path.join(runDir, 'final', 'adapter_config.json')));
  reg.dispose();
});

test('a run folder whose trainer died without a word and left no live process shows as failed, without writing to it', () => {
  const { dir } = project();
  const runDir = path.join(dir, 'runs', 'crashed');
  fs.mkdirSync(runDir, { recursive: true });
  const started = { type: 'started', protocol: 1, time: '2026-11-29T00:00:00Z', backend: 'wasm', backendSkipped: [], trainableParameters: 1, totalParameters: 2, dataset: { examples: 1, skipped: 0, trainedTokens: 1, tokens: 2 }, totalSteps: 10, resumedFromStep: 0 };
  fs.writeFileSync(path.join(runDir, RUN_FILES.events), `${JSON.stringify(started)}\n{"type": "step", "step": 1, "epo`);
  fs.writeFileSync(path.join(runDir, RUN_FILES.pid), '999999999\n'); // no such process
  const before = fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8');
  const run = registry().open(runDir);
  assert.equal(run.info.liveness, 'interrupted');
  assert.equal(shownStatus(run.state, run.info), 'failed');
  assert.equal(run.info.failure, INTERRUPTED_MESSAGE);
  assert.equal(fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8'), before);
});

test('a trainer that cannot start ends as failed, naming the executable', async () => {
  const { dir, file } = project();
  const runDir = path.join(dir, 'runs', 'no-node');
  const reg = registry();
  const run = reg.launch(runDir, { runtime: { executable: path.join(dir, 'no-such-node'), env: {}, source: 'setting' }, cliPath: CLI, cwd: dir, args: [file] }, { dataset: 'd', model: 'm' });
  await until(reg, run, (r) => r.info.liveness === 'ended', 'the failed start');
  assert.equal(run.state.status, 'failed');
  assert.match(run.info.failure ?? '', /could not be started: could not start .*no-such-node.*sftStudio\.nodePath/s);
  reg.dispose();
});

test('the events file is read incrementally: torn lines wait for their end, and characters split between reads survive', () => {
  const dir = scratchDir('event-reader');
  const file = path.join(dir, RUN_FILES.events);
  const reader = new EventFileReader(file);
  assert.deepEqual(reader.read(), [], 'no file yet');
  const sample = JSON.stringify({ type: 'sample', step: 1, prompt: 'Hi', output: "G'day — 🦘" });
  const bytes = Buffer.from(`${sample}\n`);
  const cut = bytes.indexOf(Buffer.from('🦘')) + 2; // inside the kangaroo
  fs.writeFileSync(file, bytes.subarray(0, cut));
  assert.deepEqual(reader.read(), []);
  fs.appendFileSync(file, bytes.subarray(cut));
  assert.deepEqual(reader.read().map((e) => (e.type === 'sample' ? e.output : '')), ["G'day — 🦘"]);
  assert.deepEqual(reader.read(), [], 'nothing new');
});

test('the trainer runs on sftStudio.nodePath, else a node on PATH, else the editor as plain Node', () => {
  assert.throws(() => findNodeRuntime('/no/such/node'), (error: unknown) => error instanceof NodeRuntimeError && /sftStudio\.nodePath is "\/no\/such\/node", which is not an executable file/.test(error.message));
  assert.deepEqual(findNodeRuntime(process.execPath), { executable: process.execPath, env: {}, source: 'setting' });
  const bin = scratchDir('path-bin');
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  assert.equal(findOnPath('node', `/no/such/dir${path.delimiter}${bin}`), path.join(bin, 'node'));
  assert.deepEqual(findNodeRuntime('', { PATH: bin }), { executable: path.join(bin, 'node'), env: {}, source: 'PATH' });
  assert.deepEqual(findNodeRuntime(undefined, { PATH: '/no/such/dir' }, '/opt/editor/code'), { executable: '/opt/editor/code', env: { ELECTRON_RUN_AS_NODE: '1' }, source: 'editor' });
  // The editor's own runtime really runs the CLI as plain Node.
  const viaEditor = spawn(process.execPath, [CLI, 'templates'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  return new Promise<void>((resolve) => viaEditor.on('close', (code) => {
    assert.equal(code, 0);
    resolve();
  }));
});
