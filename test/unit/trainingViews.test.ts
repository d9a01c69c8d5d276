/**
 * The pure parts of training in the editor: the training form and what it writes to
 * sft-studio.json, what the tree, status bar and comparison view say about runs, the run panel's
 * message guards, and the script-free views escaping run text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPanelState, isPanelToHost } from '../../src/common/runPanelProtocol';
import { foldEvents } from '../../src/common/runReducer';
import { compareRuns, etaSeconds, formatBytes, formatDuration, formatTick, progressText, runDescription, shownStatus } from '../../src/common/runView';
import { fieldId, formDefaults, formMembers, hasTrainingSettings, parseFormValue, TRAIN_FORM_FIELDS } from '../../src/common/trainForm';
import { TRAINER_PROTOCOL_VERSION, type TrainerEvent } from '../../src/common/trainerProtocol';
import { setProjectMembers } from '../../src/dataset/projectFileEdit';
import { applyTextEdits } from '../../src/dataset/textEdits';
import { comparisonHtml } from '../../src/views/comparisonHtml';
import { tryAdapterHtml } from '../../src/views/tryAdapterHtml';
import type { RunInfo } from '../../src/common/runPanelProtocol';

const field = (id: string): (typeof TRAIN_FORM_FIELDS)[number] => TRAIN_FORM_FIELDS.find((f) => fieldId(f) === id)!;

test('the form asks only when the project file has no training settings, and starts from its values or the defaults', () => {
  assert.equal(hasTrainingSettings({ template: 'llama3' }), false);
  assert.equal(hasTrainingSettings({ model: './m' }), false, 'a model alone says nothing about training');
  assert.equal(hasTrainingSettings({ model: './m', lora: { r: 8 } }), true);
  const values = formDefaults({ model: './m', max_length: 512, lora: { r: 8 } }, true);
  assert.deepEqual(values, {
    model: './m', 'training.num_train_epochs': 3, 'training.learning_rate': 2e-4, 'lora.r': 8, 'lora.lora_alpha': 32,
    'lora.target_modules': ['q_proj', 'k_proj', 'v_proj', 'o_proj'], max_length: 512, 'quantization.load_in_4bit': true,
  });
  assert.equal(formDefaults({}, false)['model'], '');
});

test('form values are parsed with the trainer\'s own rules, and errors name the field', () => {
  assert.deepEqual(parseFormValue(field('lora.r'), ' 64 '), { ok: true, value: 64 });
  assert.deepEqual(parseFormValue(field('lora.r'), '0'), { ok: false, error: 'LoRA rank is 0, but it must be a whole number from 1 to 1024' });
  assert.deepEqual(parseFormValue(field('lora.r'), 'eight'), { ok: false, error: 'LoRA rank is "eight", but it must be a whole number from 1 to 1024' });
  assert.deepEqual(parseFormValue(field('training.learning_rate'), '1e-4'), { ok: true, value: 1e-4 });
  assert.deepEqual(parseFormValue(field('lora.target_modules'), 'q_proj, v_proj'), { ok: true, value: ['q_proj', 'v_proj'] });
  assert.deepEqual(parseFormValue(field('lora.target_modules'), 'all-linear'), { ok: true, value: 'all-linear' });
  const typo = parseFormValue(field('lora.target_modules'), 'q_prj');
  assert.ok(!typo.ok && /did you mean "q_proj"/.test(typo.error));
  assert.deepEqual(parseFormValue(field('quantization.load_in_4bit'), 'on'), { ok: true, value: true });
  assert.deepEqual(parseFormValue(field('model'), '  '), { ok: false, error: 'Model cannot be empty' });
});

test('the form writes its settings into the project file with the smallest edit, keeping everything else', () => {
  const text = '{\n    "template": "llama3",\n    "lora": {"use_rslora": true},\n    "rules": {"messages/empty-content": "off"}\n}\n';
  const project = JSON.parse(text) as Record<string, unknown>;
  const values = { ...formDefaults(project, false), model: './model', 'lora.r': 8 };
  const members = formMembers(project, values, 'data/train.sft.jsonl');
  assert.deepEqual(members['lora'], { use_rslora: true, r: 8, lora_alpha: 32, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, 'settings the form does not show stay');
  assert.equal(members['dataset'], 'data/train.sft.jsonl');
  const change = setProjectMembers(text, members);
  assert.ok(change.ok);
  const written = applyTextEdits(text, change.edits);
  const parsed = JSON.parse(written) as Record<string, unknown>;
  assert.equal(parsed['template'], 'llama3');
  assert.deepEqual(parsed['rules'], { 'messages/empty-content': 'off' });
  assert.deepEqual(parsed['training'], { num_train_epochs: 3, learning_rate: 2e-4 });
  assert.equal(parsed['model'], './model');
  assert.match(written, /^ {4}"model": "\.\/model",$/m, 'new members are indented like the file');
  assert.ok(written.startsWith('{\n    "template": "llama3",\n    "lora": {\n'), written);
  // An empty or missing file becomes a whole new object; broken JSON is refused, not overwritten.
  const fresh = setProjectMembers('', { model: './m', dataset: 'd.sft.jsonl' });
  assert.ok(fresh.ok);
  assert.deepEqual(JSON.parse(applyTextEdits('', fresh.edits)), { model: './m', dataset: 'd.sft.jsonl' });
  const broken = setProjectMembers('{"model": ', { model: './m' });
  assert.ok(!broken.ok && /not valid JSON/.test(broken.message));
  const empty = setProjectMembers('{}', { model: './m' });
  assert.ok(empty.ok);
  assert.deepEqual(JSON.parse(applyTextEdits('{}', empty.edits)), { model: './m' });
});

const started = (totalSteps: number, resumedFromStep = 0): TrainerEvent => ({
  type: 'started', protocol: TRAINER_PROTOCOL_VERSION, time: '2026-11-29T00:00:00Z', backend: 'wasm', backendSkipped: [],
  trainableParameters: 1000, totalParameters: 100000, dataset: { examples: 10, skipped: 0, trainedTokens: 500, tokens: 900 }, totalSteps, resumedFromStep,
});
const step = (n: number, loss: number, seconds: number, tokensPerSecond = 50, rss = 100): TrainerEvent => ({
  type: 'step', step: n, epoch: n / 10, loss, learning_rate: 1e-3, grad_norm: 1, tokens_per_second: tokensPerSecond, trained_tokens: n * 100, memory: { rss, backendBytes: 0 }, elapsed_seconds: seconds,
});
const info = (over: Partial<RunInfo> = {}): RunInfo => ({ runDir: '/p/runs/a', name: 'a', dataset: '/p/train.sft.jsonl', model: '/models/SmolLM2', config: {}, liveness: 'live', resumable: false, ...over });

test('progress, ETA and the tree\'s description come from the folded events', () => {
  const state = foldEvents([started(100), step(1, 3, 10), step(11, 2, 30)]);
  assert.equal(progressText(state), 'step 11/100 · loss 2.000');
  assert.equal(etaSeconds(state), 89 * 2, 'two seconds a step since the start');
  assert.equal(runDescription(state, info()), 'train.sft.jsonl · SmolLM2 · loss 2.000 · 30s');
  assert.equal(shownStatus(state, info()), 'running');
  assert.equal(shownStatus(state, info({ liveness: 'interrupted' })), 'failed', 'no process writes it any more');
  assert.deepEqual([formatDuration(59), formatDuration(61), formatDuration(3 * 3600 + 120)], ['59s', '1m 01s', '3h 02m']);
  assert.deepEqual([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)], ['512 B', '1.5 KiB', '5.0 GiB']);
  assert.deepEqual([0, 2e-4, 0.5, 1234, 1_500_000].map(formatTick), ['0', '2.0e−4', '0.5', '1.23k', '1.5e+6']);
});

test('a resumed run continues its curve from the checkpoint: steps logged after it are redone, not doubled', () => {
  const state = foldEvents([started(10), step(1, 3, 1), step(2, 2.5, 2), step(3, 2.4, 3), { type: 'failed', step: 3, reason: 'killed', skippedExamples: 0, elapsed_seconds: 3 },
    started(10, 2), step(3, 2.2, 1), step(4, 2.0, 2)]);
  assert.deepEqual(state.steps.map((s) => [s.step, s.loss]), [[1, 3], [2, 2.5], [3, 2.2], [4, 2.0]]);
  assert.equal(state.status, 'running');
  assert.equal(state.end, undefined);
});

test('the comparison view lines up the settings that differ and the measures that matter', () => {
  const config = (r: number): Record<string, unknown> => ({ output_dir: `/runs/r${r}`, model: '/m', lora: { r, lora_alpha: 2 * r, target_modules: ['q_proj'] }, training: { learning_rate: 2e-4 } });
  const runs = [
    { name: 'r8', config: config(8), state: foldEvents([started(2), step(1, 3, 1, 40, 200), step(2, 2, 2, 60, 300), { type: 'completed', step: 2, adapter: 'final', skippedExamples: 0, elapsed_seconds: 2 }]), adapterBytes: 2048 },
    { name: 'r64', config: config(64), state: foldEvents([started(2), step(1, 3, 1, 30, 400)]) },
  ];
  const comparison = compareRuns(runs);
  assert.deepEqual(comparison.differences, [{ setting: 'lora.lora_alpha', values: ['16', '128'] }, { setting: 'lora.r', values: ['8', '64'] }], 'output_dir always differs and is left out');
  const measure = (name: string): string[] => comparison.measures.find((m) => m.measure === name)!.values;
  assert.deepEqual(measure('status'), ['completed', 'running']);
  assert.deepEqual(measure('final loss'), ['2.0000', '3.0000']);
  assert.deepEqual(measure('speed (median tokens/s)'), ['50', '30']);
  assert.deepEqual(measure('peak memory (RSS)'), ['300 B', '400 B']);
  assert.deepEqual(measure('adapter size'), ['2.0 KiB', '—']);
  const html = comparisonHtml([{ ...runs[0]!, name: '<script>x</script>' }, runs[1]!], comparison, 'n0nce');
  assert.ok(!html.includes('<script>x'), 'run names are escaped');
  assert.match(html, /<polyline class="line c0" points="[\d., ]+"\/>/);
});

test('the run panel\'s messages are checked before the host acts on them', () => {
  assert.ok(isPanelToHost({ type: 'ready' }));
  assert.ok(isPanelToHost({ type: 'action', action: 'stop' }));
  assert.ok(!isPanelToHost({ type: 'action', action: 'rm -rf' }));
  assert.ok(isPanelToHost({ type: 'rendered', points: 1, drawnPoints: 1, samples: 0, drawMs: 2.5 }));
  assert.ok(!isPanelToHost({ type: 'rendered', points: '1' }));
  assert.ok(!isPanelToHost('ready'));
  assert.ok(isPanelState({ runDir: '/r' }));
  assert.ok(!isPanelState({ runDir: 3 }));
});

test('Try Adapter shows the prompt and both answers as text', () => {
  const html = tryAdapterHtml('run', '<i>hi</i>', '<b>base</b>', 'a & b', 'n0nce');
  assert.ok(html.includes('&#60;b&#62;base&#60;/b&#62;'));
  assert.ok(!html.includes('<b>base'));
  assert.ok(html.includes('a &#38; b'));
});
