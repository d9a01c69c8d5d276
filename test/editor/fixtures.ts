/** The workspace the editor suite runs in: small datasets for each feature, and the clean-data folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { tokenizerFolder } from '../helpers';
import { CANNOT_TRAIN, cleanFile, FOLDERS, MATCHED, type Supports } from '../fixtures/cleanData';
import { writeTinyModel } from '../fixtures/tinyModels';
import { HTML_OUTPUT, SAMPLE_PROMPT } from './trainingConstants';

const GOOD = JSON.stringify({ messages: [{ role: 'user', content: 'Define dog.' }, { role: 'assistant', content: 'A domesticated canine.' }] });
const ALTERNATION = JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }] });
const SHAREGPT = JSON.stringify({ conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] });
const FILES: Record<string, string> = {
  'data/broken.sft.jsonl': [GOOD, '{"messages": [{"role": "usr", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}', '{"messages": [}'].join('\n') + '\n',
  'templated/sft-studio.json': JSON.stringify({ template: 'mistral' }, null, 2) + '\n',
  'templated/alternation.sft.jsonl': ALTERNATION + '\n',
  'fixes/fixable.sft.jsonl': [GOOD, '{"messages": [{"role": "assistent", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}', SHAREGPT, SHAREGPT.replace('Hello', 'Hey'), GOOD].join('\n') + '\n',
  'picker/alternation.sft.jsonl': ALTERNATION + '\n',
  'jinja/sft-studio.json': JSON.stringify({ model: './model' }) + '\n',
  'jinja/model/tokenizer_config.json': JSON.stringify({ eos_token: '</s>' }) + '\n',
  'jinja/model/chat_template.jinja': "{{ raise_exception('this template is being written') }}",
  'jinja/data.sft.jsonl': GOOD + '\n',
  'closed/never-opened.sft.jsonl': '{"messages": [{"role": "usr", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n',
};

/** A folder per clean-data case: the clean file under one template, with a real tokenizer where its family has one. */
function cleanDataFixtures(): Record<string, string> {
  const files: Record<string, string> = {};
  const cases: Array<{ name: string; project: Record<string, string>; supports: Supports }> = [
    ...MATCHED.map(([template, folder, supports]) => ({ name: `${template ?? 'own'}-with-${folder}`, project: { model: FOLDERS[folder](), ...(template ? { template } : {}) }, supports })),
    ...catalogEntries().filter((entry) => !(entry.name in CANNOT_TRAIN)).map((entry) => ({ name: entry.name, project: { template: entry.name }, supports: { system: false } })),
  ];
  for (const { name, project, supports } of cases) {
    const dir = `clean/${name.replace(/[^\w.-]/g, '_')}`;
    files[`${dir}/sft-studio.json`] = `${JSON.stringify(project, null, 2)}\n`;
    files[`${dir}/clean.sft.jsonl`] = cleanFile(supports);
  }
  return files;
}

/** A model repository the suite serves in the hub's layout, for "Download from Hugging Face…". */
function hubRepository(): Record<string, string> {
  const files: Record<string, string> = { 'download/data.sft.jsonl': GOOD + '\n', 'hub-repo/config.json': '{"model_type": "llama"}' };
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) files[`hub-repo/${name}`] = fs.readFileSync(path.join(tokenizerFolder('llama3'), name), 'utf8');
  return files;
}

/**
 * A training project: a tiny generated model (Mistral's real tokenizer and template), a clean
 * dataset, a dataset with an error, and settings for a run long enough to be watched and stopped.
 * Also a finished run folder whose sample output is HTML, which the panel must show as text.
 */
export function trainingFixtures(): Record<string, string | Uint8Array> {
  const modelDir = writeTinyModel(fs.mkdtempSync(path.join(os.tmpdir(), 'sft-editor-model-')), { architecture: 'llama', embeddingStd: 0.2, linearStd: 0.08 });
  const files: Record<string, string | Uint8Array> = {};
  for (const name of fs.readdirSync(modelDir)) files[`train/model/${name}`] = fs.readFileSync(path.join(modelDir, name));
  fs.rmSync(modelDir, { recursive: true, force: true });
  const chat = (q: string, a: string): string => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
  files['train/train.sft.jsonl'] = [chat('Hello!', "G'day!"), chat('How are you?', 'Not bad, mate.'), chat('Thanks!', 'No worries!')].join('\n') + '\n';
  // A project that names its model but not how to train: the training form fills it in.
  files['form/sft-studio.json'] = `${JSON.stringify({ model: '../train/model', max_length: 32 }, null, 2)}\n`;
  files['form/data.sft.jsonl'] = [chat('Hello!', "G'day!"), chat('Thanks!', 'No worries!')].join('\n') + '\n';
  files['train/broken.sft.jsonl'] = [chat('Hello!', "G'day!"), '{"messages": [}'].join('\n') + '\n';
  files['train/sft-studio.json'] = `${JSON.stringify({
    model: './model', dataset: 'train.sft.jsonl', max_length: 32,
    lora: { r: 4, lora_alpha: 8 },
    training: { num_train_epochs: 500, per_device_train_batch_size: 1, gradient_accumulation_steps: 1, learning_rate: 1e-3, logging_steps: 1, save_strategy: 'steps', save_steps: 5 },
    samples: { prompts: [SAMPLE_PROMPT], every_n_steps: 3, max_new_tokens: 4 },
  }, null, 2)}\n`;
  const started = { type: 'started', protocol: 1, time: '2026-11-29T10:00:00Z', backend: 'wasm', backendSkipped: [{ name: 'webgpu', reason: 'no GPU adapter' }], trainableParameters: 100, totalParameters: 10000, dataset: { examples: 3, skipped: 0, trainedTokens: 30, tokens: 60 }, totalSteps: 2, resumedFromStep: 0 };
  const step = (n: number, loss: number): object => ({ type: 'step', step: n, epoch: n / 2, loss, learning_rate: 1e-3, grad_norm: 1, tokens_per_second: 100, trained_tokens: 10 * n, memory: { rss: 1e8, backendBytes: 0 }, elapsed_seconds: n });
  files['train/runs/html-output/config.json'] = `${JSON.stringify({ model: './model', dataset: 'train.sft.jsonl' })}\n`;
  files['train/runs/html-output/events.ndjson'] = [started, step(1, 2.5), { type: 'sample', step: 2, prompt: 'Show HTML', output: HTML_OUTPUT }, step(2, 1.5),
    { type: 'completed', step: 2, adapter: 'final', skippedExamples: 0, elapsed_seconds: 2 }].map((e) => JSON.stringify(e)).join('\n') + '\n';
  return files;
}

/** Every file of the workspace, by path relative to it. */
export function FIXTURES(): Record<string, string | Uint8Array> {
  return { ...FILES, ...cleanDataFixtures(), ...hubRepository(), ...trainingFixtures() };
}
