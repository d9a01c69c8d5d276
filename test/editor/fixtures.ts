/** The workspace the editor suite runs in: small datasets for each feature, and the clean-data folders. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { tokenizerFolder } from '../helpers';
import { CANNOT_TRAIN, cleanFile, FOLDERS, MATCHED, type Supports } from '../fixtures/cleanData';

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

/** Every file of the workspace, by path relative to it. */
export function FIXTURES(): Record<string, string> {
  return { ...FILES, ...cleanDataFixtures(), ...hubRepository() };
}
