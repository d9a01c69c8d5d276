/**
 * "Download from Hugging Face…" against a local server in the hub's layout: the files a model
 * needs land in the standard cache, where the checker finds them by hub id; HF_ENDPOINT and
 * HF_TOKEN are honoured; progress is reported; errors name the problem; a download can be cancelled.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findCachedModel, listCachedModels } from '../../src/dataset/load/hubCache';
import { downloadModel, type DownloadProgress } from '../../src/dataset/load/hubDownload';
import { loadModelFolder } from '../../src/dataset/load/modelFolder';
import { startHubServer } from '../fixtures/hubServer';
import { tokenizerFolder } from '../helpers';

/** A model repository: a real tokenizer, a config, weights, and files a checker does not need. */
function modelRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-repo-'));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokenizerFolder('llama3'), name), path.join(dir, name));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.alloc(300_000, 7));
  fs.writeFileSync(path.join(dir, 'README.md'), '# a model card');
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), Buffer.alloc(1000));
  return dir;
}

test('a model downloads into the standard cache, where the checker finds it by hub id', async () => {
  const repo = modelRepo();
  const hub = await startHubServer({ 'org/tiny-chat': repo }, { token: 'hf_secret' });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-hf-home-'));
  const env = { HF_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' };
  try {
    const progress: DownloadProgress[] = [];
    const snapshot = await downloadModel('org/tiny-chat', { env, onProgress: (p) => progress.push(p) });
    assert.equal(snapshot, path.join(home, 'hub', 'models--org--tiny-chat', 'snapshots', hub.commit));
    assert.deepEqual(fs.readdirSync(snapshot).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    assert.deepEqual(fs.readFileSync(path.join(snapshot, 'model.safetensors')), fs.readFileSync(path.join(repo, 'model.safetensors')));
    assert.equal(hub.downloads.at(-1), 'model.safetensors', 'the weights come last, after what checking needs');
    assert.equal(findCachedModel('org/tiny-chat', env), snapshot);
    assert.deepEqual(listCachedModels(env), ['org/tiny-chat']);
    assert.ok(loadModelFolder(snapshot).tokenizer, 'the downloaded tokenizer loads');
    const last = progress.at(-1)!;
    assert.equal(last.done, 4);
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.ok(progress.some((p) => p.file === 'model.safetensors' && p.bytesDone < p.bytesTotal), 'bytes are reported while a file downloads');
  } finally {
    await hub.close();
  }
});

test('download errors say what to do: a wrong id, a gated model without a token, a repository without a tokenizer', async () => {
  const noTokenizer = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-repo-'));
  fs.writeFileSync(path.join(noTokenizer, 'config.json'), '{}');
  const hub = await startHubServer({ 'org/tiny-chat': modelRepo(), 'org/weights-only': noTokenizer }, { token: 'hf_secret' });
  const env = { HF_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'sft-hf-home-')), HF_ENDPOINT: hub.url };
  try {
    await assert.rejects(downloadModel('not an id', { env }), /looks like "org\/name"/);
    await assert.rejects(downloadModel('org/tiny-chat', { env }), /access denied \(401\).*set HF_TOKEN/);
    await assert.rejects(downloadModel('org/missing', { env: { ...env, HF_TOKEN: 'hf_secret' } }), /Cannot download org\/missing from http:\/\/127\.0\.0\.1:\d+: /);
    await assert.rejects(downloadModel('org/weights-only', { env: { ...env, HF_TOKEN: 'hf_secret' } }), /neither tokenizer\.json nor tokenizer_config\.json/);
  } finally {
    await hub.close();
  }
});

test('a cancelled download stops and says so', async () => {
  const hub = await startHubServer({ 'org/tiny-chat': modelRepo() });
  const env = { HF_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'sft-hf-home-')), HF_ENDPOINT: hub.url };
  const controller = new AbortController();
  try {
    await assert.rejects(downloadModel('org/tiny-chat', { env, signal: controller.signal, onProgress: (p) => { if (p.done === 1) controller.abort(); } }), /cancelled/);
    assert.ok(hub.downloads.length < 4, `${hub.downloads.length} files were downloaded`);
    assert.equal(findCachedModel('org/tiny-chat', env) === undefined || !fs.existsSync(path.join(env.HF_HOME, 'hub', 'models--org--tiny-chat', 'refs', 'main')), true);
  } finally {
    await hub.close();
  }
});
