/**
 * The one reader of a model folder's chat template and tokenizer, for everything that prepares
 * examples: the checker, `render`, generation and the trainer. A template named by the user (a
 * built-in name or a `.jinja` file) wins over the model's own; the model's BOS / EOS and special
 * tokens complete it, so a named template renders with the model's real tokens.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExampleContext } from '../example';
import { ChatTemplate, type TemplateInfo } from '../template';
import { catalogEntries, findCatalogTemplate } from '../templateCatalog';
import { didYouMean } from '../../common/didYouMean';
import { loadModelFolder, type ModelFolder } from './modelFolder';
import { SetupError } from './setupError';

export interface ExampleContextRequest {
  /** A Hugging Face model folder (tokenizer files, maybe `chat_template.jinja`). */
  modelDir?: string;
  /** A built-in template name, or a path to a `.jinja` file relative to `templateBase`. */
  template?: string;
  templateBase: string;
  maxLength: number;
}

export interface LoadedExampleContext {
  context: ExampleContext;
  /** The model folder, when one was named. */
  model?: ModelFolder;
}

/** Throws {@link SetupError} naming the problem (missing folder, unknown template, bad jinja). */
export function loadExampleContext(request: ExampleContextRequest): LoadedExampleContext {
  const model = request.modelDir ? loadModelFolder(request.modelDir) : undefined;
  const info = request.template ? namedTemplate(request.template, request.templateBase, model) : model && modelTemplate(model);
  const context: ExampleContext = { maxLength: request.maxLength };
  if (info) {
    const compiled = ChatTemplate.compile(info);
    if ('error' in compiled) throw new SetupError(compiled.error);
    context.template = compiled;
  }
  if (model?.tokenizer) context.tokenizer = model.tokenizer;
  if (model?.generationStopIds) context.generationStopIds = model.generationStopIds;
  return model ? { context, model } : { context };
}

function modelTemplate(model: ModelFolder): TemplateInfo | undefined {
  if (model.chatTemplate === undefined) return undefined;
  // Named by its file, as the user would open it: relative to where they work when it is below.
  const relative = path.relative(process.cwd(), model.chatTemplateFile!);
  const name = relative.startsWith('..') || path.isAbsolute(relative) ? model.chatTemplateFile! : relative;
  const info: TemplateInfo = { name, source: model.chatTemplate, specialTokens: model.tokenizer?.specialTokens ?? [] };
  if (model.bosToken !== undefined) info.bosToken = model.bosToken;
  if (model.eosToken !== undefined) info.eosToken = model.eosToken;
  return info;
}

/** A catalog name, or a path to a `.jinja` file; the model's tokens win over the catalog's. */
function namedTemplate(name: string, baseDir: string, model: ModelFolder | undefined): TemplateInfo {
  let info: TemplateInfo;
  const entry = findCatalogTemplate(name);
  if (entry) {
    info = { ...entry.info };
  } else {
    const file = path.resolve(baseDir, name);
    if (/\.(jinja2?|j2)$/i.test(name) && !fs.existsSync(file)) throw new SetupError(`Template file ${file} does not exist`);
    if (!/\.(jinja2?|j2)$/i.test(name)) {
      const hint = didYouMean(name, catalogEntries().map((e) => e.name)) ?? didYouMean(name.replace(/[-_ ]/g, ''), catalogEntries().map((e) => e.name));
      const names = '`sft-studio templates` lists the names; a path to a .jinja file works too';
      throw new SetupError(`Unknown template "${name}": ${hint ? `did you mean "${hint}"? ${names}` : names}`);
    }
    info = { name: path.basename(file), source: fs.readFileSync(file, 'utf8'), specialTokens: [] };
  }
  if (model) {
    if (model.bosToken !== undefined) info.bosToken = model.bosToken;
    if (model.eosToken !== undefined) info.eosToken = model.eosToken;
    if (model.tokenizer) info.specialTokens = [...new Set([...model.tokenizer.specialTokens, ...info.specialTokens])];
  }
  return info;
}

