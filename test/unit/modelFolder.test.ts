/** Reading a model folder's chat template, special tokens and tokenizer, and its errors. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadModelFolder } from '../../src/dataset/load/modelFolder';
import { tokenizerFolder } from '../helpers';

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-model-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('chat_template as a list of named templates: "default" is used', () => {
  const dir = folder({ 'tokenizer_config.json': JSON.stringify({ bos_token: { content: '<s>' }, eos_token: '</s>', chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] }) });
  const model = loadModelFolder(dir);
  assert.deepEqual([model.chatTemplate, model.bosToken, model.eosToken, model.tokenizer], ['D', '<s>', '</s>', undefined]);
  const first = folder({ 'tokenizer_config.json': JSON.stringify({ chat_template: [{ name: 'rag', template: 'R' }] }) });
  assert.equal(loadModelFolder(first).chatTemplate, 'R');
});

test('chat_template.jinja wins over tokenizer_config.json', () => {
  const dir = folder({ 'tokenizer_config.json': JSON.stringify({ chat_template: 'old' }), 'chat_template.jinja': 'new' });
  assert.equal(loadModelFolder(dir).chatTemplate, 'new');
});

test('a real tokenizer folder loads its tokenizer and template', () => {
  const model = loadModelFolder(tokenizerFolder('llama3'));
  assert.ok(model.tokenizer);
  assert.match(model.chatTemplate!, /start_header_id/);
});

test('broken folders are clear setup errors', () => {
  assert.throws(() => loadModelFolder(path.join(os.tmpdir(), 'no-such-model-folder')), /does not exist: pass a Hugging Face model folder/);
  assert.throws(() => loadModelFolder(folder({ 'readme.md': 'x' })), /neither tokenizer.json nor tokenizer_config.json/);
  assert.throws(() => loadModelFolder(folder({ 'tokenizer_config.json': '{oops' })), /tokenizer_config\.json:1:2: not valid JSON: Expected a property name/);
  assert.throws(() => loadModelFolder(folder({ 'tokenizer_config.json': JSON.stringify({ chat_template: 5 }) })), /"chat_template" in .* must be a string or a list/);
  assert.throws(() => loadModelFolder(folder({ 'tokenizer_config.json': '{}', 'tokenizer.json': JSON.stringify({ model: { type: 'Nonsense' } }) })), /Cannot load the tokenizer/);
});

test('an edited chat_template.jinja is read again; an unchanged folder comes from the cache', () => {
  const dir = folder({ 'tokenizer_config.json': JSON.stringify({ eos_token: '</s>' }), 'chat_template.jinja': 'first' });
  const first = loadModelFolder(dir);
  assert.equal(loadModelFolder(dir), first);
  fs.writeFileSync(path.join(dir, 'chat_template.jinja'), 'second, longer');
  assert.equal(loadModelFolder(dir).chatTemplate, 'second, longer');
});
