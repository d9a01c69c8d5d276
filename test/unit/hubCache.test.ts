/** A hub id in "model" is found in the local Hugging Face cache, honouring HF_HUB_CACHE and HF_HOME. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findCachedModel, hubCacheDir, listCachedModels, resolveModelReference } from '../../src/dataset/load/hubCache';

function cache(revisions: string[], refMain?: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-hub-'));
  const repo = path.join(root, 'hub', 'models--HuggingFaceTB--SmolLM2-135M-Instruct');
  for (const revision of revisions) fs.mkdirSync(path.join(repo, 'snapshots', revision), { recursive: true });
  if (refMain) {
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', 'main'), `${refMain}\n`);
  }
  return root;
}

test('the cache folder follows huggingface_hub: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/x/hub', HF_HOME: '/y' }), '/x/hub');
  assert.equal(hubCacheDir({ HF_HOME: '/y' }), path.join('/y', 'hub'));
  assert.equal(hubCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
});

test('a cached hub id resolves to the snapshot refs/main names', () => {
  const root = cache(['aaa111', 'bbb222'], 'bbb222');
  const env = { HF_HOME: root };
  const expected = path.join(root, 'hub', 'models--HuggingFaceTB--SmolLM2-135M-Instruct', 'snapshots', 'bbb222');
  assert.equal(findCachedModel('HuggingFaceTB/SmolLM2-135M-Instruct', env), expected);
  assert.equal(resolveModelReference('HuggingFaceTB/SmolLM2-135M-Instruct', '/nowhere', env), expected);
  assert.equal(findCachedModel('HuggingFaceTB/SmolLM2-360M-Instruct', env), undefined);
});

test('a folder wins over a hub id, and a missing model says how to get it', () => {
  const root = cache(['aaa111']);
  const folder = path.join(root, 'Org', 'Name');
  fs.mkdirSync(folder, { recursive: true });
  assert.equal(resolveModelReference('Org/Name', root, { HF_HOME: root }), folder);
  assert.throws(() => resolveModelReference('Org/Missing', root, { HF_HOME: root }), /neither a folder nor in the Hugging Face cache .*huggingface-cli download Org\/Missing/);
  assert.throws(() => resolveModelReference('./models/base', root, { HF_HOME: root }), /Model folder .*models\/base does not exist/);
});

test('cached models with a tokenizer are listed by hub id', () => {
  const root = cache(['aaa111'], 'aaa111');
  const snapshot = path.join(root, 'hub', 'models--HuggingFaceTB--SmolLM2-135M-Instruct', 'snapshots', 'aaa111');
  assert.deepEqual(listCachedModels({ HF_HOME: root }), [], 'a snapshot without tokenizer files is not a model to check with');
  fs.writeFileSync(path.join(snapshot, 'tokenizer_config.json'), '{}');
  fs.mkdirSync(path.join(root, 'hub', 'datasets--org--data', 'snapshots', 'x'), { recursive: true });
  assert.deepEqual(listCachedModels({ HF_HOME: root }), ['HuggingFaceTB/SmolLM2-135M-Instruct']);
  assert.deepEqual(listCachedModels({ HF_HUB_CACHE: path.join(root, 'nowhere') }), []);
});
