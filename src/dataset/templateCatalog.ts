/**
 * The built-in catalog of real chat templates, taken from `@huggingface/ollama-utils`, which
 * ships the Jinja chat template of each popular model as its GGUF file carries it. Names are the
 * short names people type (`llama3`, `qwen2.5`, `phi3`); `name:tag` picks a specific variant.
 */
// The package's `exports` map hides this file, so it is bundled from its path; it is the data
// file the package itself is built from.
import { OLLAMA_CHAT_TEMPLATE_MAPPING } from '../../node_modules/@huggingface/ollama-utils/src/chat-template-automap';
import type { TemplateInfo } from './template';

export interface CatalogEntry {
  /** Short name, e.g. `llama3.1`. */
  name: string;
  /** Other names that select the same template, e.g. `llama3.1:8b`. */
  aliases: string[];
  info: TemplateInfo;
}

/**
 * BOS / EOS strings per model family. The catalog carries templates but not the tokenizer's
 * special tokens, which templates reference as `bos_token` / `eos_token`; these are the values of
 * each family's `tokenizer_config.json`. Matched by the longest name prefix.
 */
const FAMILY_SPECIAL_TOKENS: ReadonlyArray<readonly [prefix: string, bos: string | undefined, eos: string]> = [
  ['llama2', '<s>', '</s>'],
  ['llama3', '<|begin_of_text|>', '<|eot_id|>'],
  ['llama4', '<|begin_of_text|>', '<|eot|>'],
  ['mistral', '<s>', '</s>'],
  ['mixtral', '<s>', '</s>'],
  ['tinyllama', '<s>', '</s>'],
  ['phi3', '<s>', '<|endoftext|>'],
  ['phi4', '<|endoftext|>', '<|im_end|>'],
  ['gemma2', '<bos>', '<eos>'],
  ['gemma3', '<bos>', '<end_of_turn>'],
  ['qwen', undefined, '<|im_end|>'],
  ['qwq', undefined, '<|im_end|>'],
  ['smollm2', '<|im_start|>', '<|im_end|>'],
  ['deepseek', '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'],
  ['granite', '<|end_of_text|>', '<|end_of_text|>'],
];

let catalog: Map<string, CatalogEntry> | undefined;

/** All catalog entries, by short name, in the package's order. */
export function templateCatalog(): ReadonlyMap<string, CatalogEntry> {
  if (catalog) return catalog;
  catalog = new Map();
  const byFullName = new Map<string, CatalogEntry>();
  for (const entry of OLLAMA_CHAT_TEMPLATE_MAPPING) {
    const fullName = entry.model.replace(/^library\//, '');
    if (byFullName.has(fullName)) continue;
    const base = fullName.split(':')[0]!;
    const existing = catalog.get(base);
    if (existing && existing.info.source === entry.gguf) {
      existing.aliases.push(fullName);
      byFullName.set(fullName, existing);
      continue;
    }
    const name = existing ? fullName : base;
    const tokens = FAMILY_SPECIAL_TOKENS.filter(([prefix]) => base.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0];
    const stop = entry.ollama.params?.stop;
    const specialTokens = [...new Set([...entry.ollama.tokens, ...(Array.isArray(stop) ? (stop as string[]) : []), ...(tokens ? [tokens[2]] : [])])];
    const info: TemplateInfo = { name, source: entry.gguf, specialTokens };
    if (tokens?.[1] !== undefined) info.bosToken = tokens[1];
    if (tokens) info.eosToken = tokens[2];
    const created: CatalogEntry = { name, aliases: name === fullName ? [] : [fullName], info };
    catalog.set(name, created);
    byFullName.set(fullName, created);
  }
  for (const [fullName, entry] of byFullName) {
    if (!catalog.has(fullName)) catalog.set(fullName, entry);
  }
  return catalog;
}

/** Finds a template by short name or `name:tag`, case-insensitively. */
export function findCatalogTemplate(name: string): CatalogEntry | undefined {
  const all = templateCatalog();
  return all.get(name) ?? all.get(name.toLowerCase());
}

/** The distinct entries (aliases folded), for listing. */
export function catalogEntries(): CatalogEntry[] {
  return [...new Set(templateCatalog().values())];
}
