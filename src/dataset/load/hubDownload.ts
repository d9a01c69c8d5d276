/**
 * Downloads the files a model needs (config, tokenizer, chat template, safetensors weights) from
 * the Hugging Face hub into the standard local cache, in huggingface_hub's layout
 * (`models--org--name/{blobs,snapshots/<commit>,refs/main}`), with `@huggingface/hub`, so no
 * Python tool is needed. `HF_ENDPOINT` and `HF_TOKEN` are honoured as huggingface_hub does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadFileToCacheDir, listFiles, modelInfo } from '@huggingface/hub';
import { UserError } from '../../common/errors';
import { hubCacheDir, isHubId } from './hubCache';

/** Top-level files of a model repository that checking, training and generation read. */
const NEEDED = /^(?:config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|chat_template\.jinja|chat_template\.json|tokenizer\.model|model\.safetensors\.index\.json|[^/]+\.safetensors)$/;

export interface DownloadProgress {
  file: string;
  /** Files finished so far, of `files`. */
  done: number;
  files: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface DownloadOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

/** Why a hub id cannot be downloaded as typed, or undefined when it looks right. */
export function hubIdProblem(id: string): string | undefined {
  return isHubId(id) ? undefined : 'A hub id looks like "org/name", such as "HuggingFaceTB/SmolLM2-135M-Instruct"';
}

/** Downloads `hubId` and returns its snapshot folder. Errors are {@link UserError}s naming the problem. */
export async function downloadModel(hubId: string, options: DownloadOptions = {}): Promise<string> {
  const problem = hubIdProblem(hubId);
  if (problem) throw new UserError(`${JSON.stringify(hubId)}: ${problem}`);
  const env = options.env ?? process.env;
  const hubUrl = (env['HF_ENDPOINT'] ?? 'https://huggingface.co').replace(/\/+$/, '');
  const token = env['HF_TOKEN'] ?? env['HUGGING_FACE_HUB_TOKEN'];
  const cacheDir = hubCacheDir(env);
  let bytesDone = 0;
  let current = '';
  let done = 0;
  let files: Array<{ path: string; size: number }> = [];
  const report = (): void => options.onProgress?.({ file: current, done, files: files.length, bytesDone, bytesTotal: files.reduce((n, f) => n + f.size, 0) });
  const fetchWithProgress: typeof fetch = async (input, init) => {
    const response = await fetch(input, { ...init, ...(options.signal ? { signal: options.signal } : {}) });
    if (!response.body || !String(input instanceof Request ? input.url : input).includes('/resolve/') || response.status !== 200) return response;
    const counted = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesDone += chunk.byteLength;
        report();
        controller.enqueue(chunk);
      },
    }));
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const common = { repo: { type: 'model' as const, name: hubId }, hubUrl, fetch: fetchWithProgress, ...(token ? { accessToken: token } : {}) };
  try {
    const info = await modelInfo({ ...common, name: hubId, additionalFields: ['sha'] });
    const commit = (info as { sha?: string }).sha;
    if (!commit) throw new UserError(`${hubUrl} did not say which revision of ${hubId} is current`);
    for await (const entry of listFiles({ ...common, revision: commit })) {
      if (entry.type === 'file' && NEEDED.test(entry.path)) files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
    }
    if (!files.some((f) => f.path === 'tokenizer.json' || f.path === 'tokenizer_config.json')) {
      throw new UserError(`${hubId} has neither tokenizer.json nor tokenizer_config.json: is it a model repository with a tokenizer?`);
    }
    // Configs and the tokenizer first, the weights last: checking needs only the first.
    const isWeights = (file: { path: string }): number => (file.path.endsWith('.safetensors') ? 1 : 0);
    files = files.sort((a, b) => isWeights(a) - isWeights(b) || a.size - b.size);
    for (const file of files) {
      current = file.path;
      report();
      await downloadFileToCacheDir({ ...common, path: file.path, revision: commit, cacheDir });
      done++;
      report();
    }
    // As huggingface_hub does: refs/main names the snapshot, which is how the cache is read.
    const repoDir = path.join(cacheDir, `models--${hubId.replace('/', '--')}`);
    fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    return path.join(repoDir, 'snapshots', commit);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (options.signal?.aborted) throw new UserError(`Download of ${hubId} cancelled`);
    throw new UserError(`Cannot download ${hubId} from ${hubUrl}: ${describeHubError(error)}`);
  }
}

/** The hub's errors as a person can act on them: not found, a gated model without a token. */
function describeHubError(error: unknown): string {
  const status = (error as { statusCode?: number }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 401 || status === 403) return `access denied (${status}): the model may be gated or private; set HF_TOKEN to a token that can read it`;
  if (status === 404) return 'no such model (404): check the id';
  return message;
}
