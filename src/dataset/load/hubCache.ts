/**
 * Where a `model` setting points: a folder (relative to the project file), or a Hugging Face hub
 * id (`org/name`) already downloaded into the local Hugging Face cache, in the hub's layout
 * `models--org--name/snapshots/<revision>/`. The cache is `$HF_HUB_CACHE`, else `$HF_HOME/hub`,
 * else `~/.cache/huggingface/hub`, as huggingface_hub finds it. Nothing is downloaded here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SetupError } from './setupError';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** Whether a `model` value has the shape of a hub id (`org/name`) rather than a folder path. */
export function isHubId(reference: string): boolean {
  return HUB_ID.test(reference) && !reference.startsWith('.');
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  const home = env['HF_HOME'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** The snapshot folder of a cached hub model (the revision `refs/main` names, else the newest). */
export function findCachedModel(hubId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const repo = path.join(hubCacheDir(env), `models--${hubId.replace('/', '--')}`);
  const snapshots = path.join(repo, 'snapshots');
  if (!fs.existsSync(snapshots)) return undefined;
  const refMain = path.join(repo, 'refs', 'main');
  if (fs.existsSync(refMain)) {
    const revision = path.join(snapshots, fs.readFileSync(refMain, 'utf8').trim());
    if (fs.existsSync(revision)) return revision;
  }
  const revisions = fs.readdirSync(snapshots).map((name) => path.join(snapshots, name)).filter((dir) => fs.statSync(dir).isDirectory());
  revisions.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return revisions[0];
}

/** Whether a folder holds what the checker reads from a model: a tokenizer or its config. */
export function isModelFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'tokenizer.json')) || fs.existsSync(path.join(dir, 'tokenizer_config.json'));
}

/** The hub ids of the models in the local cache whose snapshot holds a tokenizer, sorted. */
export function listCachedModels(env: NodeJS.ProcessEnv = process.env): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(hubCacheDir(env));
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const entry of entries) {
    const match = /^models--([^-].*?)--(.+)$/.exec(entry);
    if (!match) continue;
    const id = `${match[1]}/${match[2]}`;
    const snapshot = findCachedModel(id, env);
    if (snapshot && isModelFolder(snapshot)) ids.push(id);
  }
  return ids.sort((a, b) => a.localeCompare(b));
}

/** Resolves a `model` value to a folder; throws {@link SetupError} saying how to get a missing hub model. */
export function resolveModelReference(reference: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const asPath = path.resolve(baseDir, reference);
  if (fs.existsSync(asPath)) return asPath;
  if (isHubId(reference)) {
    const cached = findCachedModel(reference, env);
    if (cached) return cached;
    throw new SetupError(`Model "${reference}" is neither a folder nor in the Hugging Face cache (${hubCacheDir(env)}): download it with \`huggingface-cli download ${reference}\` (set HF_HOME or HF_HUB_CACHE if your cache is elsewhere), or set "model" to a local folder`);
  }
  throw new SetupError(`Model folder ${asPath} does not exist: set "model" to a Hugging Face model folder or a hub id such as "HuggingFaceTB/SmolLM2-135M-Instruct"`);
}
