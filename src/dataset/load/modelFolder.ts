/**
 * Reads what the checker needs from a Hugging Face model folder: the chat template
 * (`chat_template.jinja`, or `chat_template` in `tokenizer_config.json`, a string or a list of
 * named templates), the BOS / EOS tokens and the tokenizer (`tokenizer.json`).
 */
import { errorMessage } from '../../common/errors';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJson } from '../json/parseJson';
import { specialTokenText, TextTokenizer } from '../tokens';
import { SetupError } from './setupError';

export interface ModelFolder {
  dir: string;
  /** The model's own chat template, when it has one. */
  chatTemplate?: string;
  /** The file the chat template was read from: `chat_template.jinja` or `tokenizer_config.json`. */
  chatTemplateFile?: string;
  bosToken?: string;
  eosToken?: string;
  tokenizer?: TextTokenizer;
  /** `eos_token_id` of generation_config.json (an id or a list), when the folder has one. */
  generationStopIds?: number[];
}

/** The files a model folder is read from; the cache is keyed by their modification times. */
const FOLDER_FILES = ['tokenizer_config.json', 'tokenizer.json', 'chat_template.jinja', 'generation_config.json'];
const cache = new Map<string, { stamp: string; folder: ModelFolder }>();

/** What identifies one version of the folder's files: their sizes and modification times. */
function folderStamp(resolved: string): string {
  return FOLDER_FILES.map((name) => {
    try {
      const stat = fs.statSync(path.join(resolved, name));
      return `${stat.size}:${stat.mtimeMs}`;
    } catch {
      return '-';
    }
  }).join('|');
}

/**
 * Loads a model folder, once per version of its files: an edited `chat_template.jinja` or
 * tokenizer is read again. Throws {@link SetupError} naming the problem.
 */
export function loadModelFolder(dir: string): ModelFolder {
  const resolved = path.resolve(dir);
  const stamp = folderStamp(resolved);
  const cached = cache.get(resolved);
  if (cached?.stamp === stamp) return cached.folder;
  if (fs.existsSync(resolved) && !fs.statSync(resolved).isDirectory()) {
    throw new SetupError(`${dir} is a file, not a model folder: pass the folder that holds it (${path.dirname(dir) || '.'}), with tokenizer.json and tokenizer_config.json`);
  }
  if (!fs.existsSync(resolved)) {
    throw new SetupError(`Model folder ${dir} does not exist: pass a Hugging Face model folder that holds tokenizer.json and tokenizer_config.json`);
  }
  const configPath = path.join(resolved, 'tokenizer_config.json');
  const tokenizerPath = path.join(resolved, 'tokenizer.json');
  const templatePath = path.join(resolved, 'chat_template.jinja');
  if (!fs.existsSync(configPath) && !fs.existsSync(tokenizerPath)) {
    throw new SetupError(`Model folder ${dir} has neither tokenizer.json nor tokenizer_config.json: is this a Hugging Face model folder?`);
  }
  const config = fs.existsSync(configPath) ? readJsonObject(configPath) : {};
  const folder: ModelFolder = { dir: resolved };
  const template = fs.existsSync(templatePath) ? fs.readFileSync(templatePath, 'utf8') : pickChatTemplate(config['chat_template'], configPath);
  if (template !== undefined) {
    folder.chatTemplate = template;
    folder.chatTemplateFile = fs.existsSync(templatePath) ? templatePath : configPath;
  }
  const bos = specialTokenText(config['bos_token']);
  const eos = specialTokenText(config['eos_token']);
  if (bos !== undefined) folder.bosToken = bos;
  if (eos !== undefined) folder.eosToken = eos;
  if (fs.existsSync(tokenizerPath)) {
    try {
      folder.tokenizer = new TextTokenizer({ tokenizerJson: readJsonObject(tokenizerPath), tokenizerConfig: config });
    } catch (error) {
      if (error instanceof SetupError) throw error;
      throw new SetupError(`Cannot load the tokenizer in ${tokenizerPath}: ${errorMessage(error)}`);
    }
  }
  const generationConfig = path.join(resolved, 'generation_config.json');
  if (fs.existsSync(generationConfig)) {
    const ids = readJsonObject(generationConfig)['eos_token_id'];
    const list = (Array.isArray(ids) ? ids : [ids]).filter((id): id is number => Number.isInteger(id));
    if (list.length > 0) folder.generationStopIds = list;
  }
  cache.set(resolved, { stamp, folder });
  return folder;
}

/** `chat_template` is a string, or a list of `{name, template}` of which "default" is used. */
function pickChatTemplate(value: unknown, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.filter((t): t is { name: string; template: string } =>
      !!t && typeof t === 'object' && typeof (t as { template?: unknown }).template === 'string');
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  throw new SetupError(`"chat_template" in ${file} must be a string or a list of {"name", "template"} objects`);
}

export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SetupError(`Cannot read ${file}: ${errorMessage(error)}`);
  }
  // Editors on Windows may save a byte order mark; JSON readers skip it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Our own parser says where, as line and column, in words a person can act on.
    const parsed = parseJson(text);
    if (parsed.ok) throw new SetupError(`${file} is not valid JSON (${errorMessage(error)}): fix or replace the file`);
    const before = text.slice(0, parsed.error.start).split('\n');
    throw new SetupError(`${file}:${before.length}:${before[before.length - 1]!.length + 1}: not valid JSON: ${parsed.error.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SetupError(`${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}
