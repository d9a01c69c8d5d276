/**
 * `sft-studio train`, `merge` and `--adapter` end to end through the built CLI, on a tiny model
 * with Llama 3's real tokenizer: the run folder, the PEFT adapter, the trainer's batches against
 * `render --format json`, QLoRA, and the errors a user meets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseEvents, type StartedEvent, type StepEvent } from '../../src/common/trainerProtocol';
import { loadExampleContext } from '../../src/dataset/load/exampleContext';
import { loadDataset } from '../../src/trainer/train/batches';
import { ROOT } from '../helpers';
import { maxDifference, scratchDir, tinyModel } from './helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');

function run(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const QUESTIONS = ["What's 2+2?", 'Hello!', 'How are you?', 'Thanks!', 'What is the capital of Australia?', 'Good night!'];
const ANSWERS = ["It's 4, mate.", "G'day!", 'Not bad, mate.', 'No worries, mate!', "It's Canberra, mate.", 'Night, mate.'];

/** A project folder: the dataset (with one broken line), and sft-studio.json. */
function project(settings: Record<string, unknown>): string {
  const dir = scratchDir('project');
  const model = tinyModel({ architecture: 'llama', tokenizer: 'llama3', embeddingStd: 0.2, linearStd: 0.08 });
  const lines = QUESTIONS.map((q, i) => JSON.stringify({ messages: [{ role: 'system', content: 'Answer like an Australian.' }, { role: 'user', content: q }, { role: 'assistant', content: ANSWERS[i] }] }));
  fs.writeFileSync(path.join(dir, 'train.sft.jsonl'), `${lines.join('\n')}\n{"messages": [{"role": "user", "content": "no reply"}]}\n`);
  fs.writeFileSync(path.join(dir, 'sft-studio.json'), JSON.stringify({
    model, dataset: 'train.sft.jsonl', output_dir: 'runs/first', max_length: 64,
    lora: { r: 8, lora_alpha: 16, target_modules: 'all-linear' },
    training: { num_train_epochs: 4, per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 5e-3, logging_steps: 1, save_strategy: 'epoch' },
    samples: { prompts: ["What's 2+2?"], every_n_steps: 6, max_new_tokens: 8 },
    ...settings,
  }, null, 2));
  return dir;
}

test('train writes the run folder: resolved config, events, checkpoints, and a PEFT adapter that generate, forward and merge load', () => {
  const dir = project({});
  const result = run(['train'], dir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /step 12\/12 .* loss \d+\.\d+ .* tok\/s/);
  assert.match(result.stderr, /^trainable params: 16,384 \|\| all params: [\d,]+ \|\| trainable%: [\d.]+$/m);
  assert.match(result.stderr, /1 lines skipped \(first: line 7, messages\/no-assistant\)/);
  assert.match(result.stderr, /try it: {2}sft-studio generate --model .* --adapter runs\/first\/final/);
  const runDir = path.join(dir, 'runs', 'first');
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config['dataset'], path.join(dir, 'train.sft.jsonl'));
  assert.equal((config['training'] as Record<string, unknown>)['lr_scheduler_type'], 'linear', 'defaults are filled in');
  const events = parseEvents(fs.readFileSync(path.join(runDir, 'events.ndjson'), 'utf8'));
  const started = events[0] as StartedEvent;
  assert.equal(started.type, 'started');
  assert.deepEqual([started.dataset.examples, started.dataset.skipped, started.totalSteps, started.backend], [6, 1, 12, 'wasm']);
  // r (in + out) for q (64-64), k and v (64-32), o (64-64), gate and up (64-128), down (128-64), in 2 layers.
  assert.equal(started.trainableParameters, 2 * 8 * (128 + 96 + 96 + 128 + 3 * 192));
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  assert.equal(steps.length, 12);
  assert.ok(steps[11]!.loss < steps[0]!.loss * 0.7, `loss ${steps[0]!.loss} -> ${steps[11]!.loss}`);
  assert.ok(steps.every((s) => s.tokens_per_second > 0 && s.memory.rss > 0 && s.grad_norm > 0));
  assert.deepEqual(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { path: string }).path), ['checkpoint-3', 'checkpoint-6', 'checkpoint-9', 'checkpoint-12']);
  assert.deepEqual(events.filter((e) => e.type === 'sample').map((e) => (e as { step: number }).step), [6, 12]);
  assert.equal(events[events.length - 1]!.type, 'completed');
  for (const name of ['adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json', 'chat_template.jinja']) assert.ok(fs.existsSync(path.join(runDir, 'final', name)), name);

  const model = config['model'] as string;
  const generated = run(['generate', '--model', model, '--adapter', 'runs/first/final', '--prompt', "What's 2+2?", '--max-new-tokens', '8'], dir);
  assert.equal(generated.code, 0, generated.stderr);
  const sample = events.filter((e) => e.type === 'sample').pop() as { output: string };
  assert.equal(generated.stdout.trim(), sample.output.trim(), 'generate --adapter answers as the final sample did');

  const merged = run(['merge', '--model', model, '--adapter', 'runs/first/final', '--out', 'merged'], dir);
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stderr, /merged 14 adapted modules/);
  const ids = '128000,128006,882,128007,271,3923,596,220,17,10,17,30,128009';
  const viaAdapter = JSON.parse(run(['forward', '--model', model, '--adapter', 'runs/first/final', '--ids', ids], dir).stdout) as { logits: number[][] };
  const viaMerged = JSON.parse(run(['forward', '--model', 'merged', '--ids', ids], dir).stdout) as { logits: number[][] };
  const difference = maxDifference(viaAdapter.logits, viaMerged.logits);
  assert.ok(difference < 1e-3, `merged vs adapter logits differ by ${difference}`);
  assert.equal(run(['merge', '--model', model, '--adapter', 'runs/first/final', '--out', 'merged'], dir).code, 2, 'never overwrites without --force');

  const again = run(['train'], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a run: continue it with --resume .*runs\/first, or choose another --output-dir/);
});

test("the trainer's examples are exactly render --format json's tokens", () => {
  const dir = project({ max_length: 30 });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'sft-studio.json'), 'utf8')) as { model: string };
  const { context } = loadExampleContext({ modelDir: config.model, templateBase: dir, maxLength: 30 });
  const dataset = loadDataset(path.join(dir, 'train.sft.jsonl'), context, true);
  assert.ok(dataset.examples.length >= 4, `${dataset.examples.length} examples`);
  assert.equal(dataset.examples.length + dataset.skipped.length, 7);
  let truncated = 0;
  for (const example of dataset.examples) {
    const rendered = run(['render', 'train.sft.jsonl', '--line', String(example.line + 1), '--format', 'json'], dir);
    assert.equal(rendered.code, 0, rendered.stderr);
    const json = JSON.parse(rendered.stdout) as { tokens: Array<{ id: number; trained: boolean }>; truncatedFrom?: number };
    assert.deepEqual(example.ids, json.tokens.map((t) => t.id));
    assert.deepEqual([...example.trained], json.tokens.map((t) => (t.trained ? 1 : 0)));
    if (json.truncatedFrom !== undefined) truncated++;
  }
  assert.ok(truncated > 0, 'max_length 30 cuts some examples, and both sides cut them the same way');
});

test('QLoRA trains on 4-bit weights with gradient checkpointing and packing', () => {
  const dir = project({ quantization: { load_in_4bit: true, bnb_4bit_use_double_quant: true }, output_dir: 'runs/qlora' });
  const result = run(['train', '--set', 'training.gradient_checkpointing=true', '--set', 'training.packing=true', '--set', 'samples.prompts=[]'], dir);
  assert.equal(result.code, 0, result.stderr);
  const steps = parseEvents(fs.readFileSync(path.join(dir, 'runs', 'qlora', 'events.ndjson'), 'utf8')).filter((e): e is StepEvent => e.type === 'step');
  assert.ok(steps.length >= 2 && steps[steps.length - 1]!.loss < steps[0]!.loss, steps.map((s) => s.loss).join(', '));
  const adapter = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'qlora', 'final', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(adapter['target_modules'], ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
});

test('a stop command on stdin saves after the current step and ends stopped; --events stdout streams the events', () => {
  const dir = project({ output_dir: 'runs/stopped' });
  const result = spawnSync(process.execPath, [BIN, 'train', '--events', 'stdout'], { cwd: dir, encoding: 'utf8', input: '{"type": "sample", "prompt": "Hello!"}\n{"type": "stop"}\n' });
  assert.equal(result.status, 0, result.stderr);
  const streamed = parseEvents(result.stdout);
  const recorded = parseEvents(fs.readFileSync(path.join(dir, 'runs', 'stopped', 'events.ndjson'), 'utf8'));
  assert.deepEqual(streamed, recorded, 'stdout carries exactly what the run folder records');
  const last = recorded[recorded.length - 1]!;
  assert.equal(last.type, 'stopped');
  assert.ok(last.step < 12, `stopped at step ${last.step}`);
  assert.ok(recorded.some((e) => e.type === 'sample' && e.prompt === 'Hello!'));
  assert.ok(fs.existsSync(path.join(dir, 'runs', 'stopped', 'final', 'adapter_model.safetensors')));
  assert.match(result.stderr, /stopped at step \d+/);
});

test('bad settings and missing files exit 2 before any weight is loaded, naming the problem', () => {
  const dir = project({ lora: { r: 0, lora_alhpa: 16 }, training: { learning_rate: 'fast' } });
  const bad = run(['train'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"lora\.r" is 0, but it must be a whole number from 1 to 1024/);
  assert.match(bad.stderr, /"lora\.lora_alhpa" is not a setting: did you mean "lora_alpha"\?/);
  assert.match(bad.stderr, /"training\.learning_rate" is "fast"/);
  assert.doesNotMatch(bad.stderr, /internal error|backend:/);
  const good = project({});
  assert.match(run(['train', '--set', 'dataset=missing.sft.jsonl'], good).stderr, /"dataset" names .*missing\.sft\.jsonl, which does not exist/);
  assert.match(run(['train', '--set', 'model=Org/NotCached'], good).stderr, /neither a folder nor in the Hugging Face cache .*huggingface-cli download Org\/NotCached/);
  assert.match(run(['train', 'nope.json'], good).stderr, /No such project file: nope\.json/);
  assert.match(run(['train', '--resume', '.'], good).stderr, /is not a run folder/);
  assert.match(run(['merge', '--model', '.', '--adapter', '.', '--out', 'x'], good).stderr, /has no config\.json|has no adapter_config\.json/);
  assert.match(run(['train', '--set', `model=${tinyModel({ architecture: 'phi3' })}`], good).stderr, /LoRA training supports llama, mistral and qwen2 models; Phi-3 fuses its projections/);
  const broken = scratchDir('broken-model');
  fs.writeFileSync(path.join(broken, 'config.json'), '{"model_type": "llama",');
  const gguf = run(['export-gguf', '--model', broken, '--out', path.join(broken, 'x.gguf')], good);
  assert.equal(gguf.code, 2);
  assert.match(gguf.stderr, /config\.json is not valid JSON/);
  const empty = scratchDir('empty');
  fs.writeFileSync(path.join(empty, 'sft-studio.json'), '{"model": "m", "dataset": "d.sft.jsonl", "lora": 3}');
  assert.match(run(['train'], empty).stderr, /"lora" must be an object of settings/);
});
