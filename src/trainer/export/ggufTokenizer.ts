/**
 * The tokenizer metadata of a GGUF file, from tokenizer.json and tokenizer_config.json, as
 * llama.cpp's converter writes it: SentencePiece-style BPE vocabularies (`▁` for spaces, `<0xNN>`
 * byte fallback) as tokenizer model `llama`, with scores that order merges; byte-level BPE as
 * `gpt2` with its merges and pre-tokenizer name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModelFolder, readJsonObject } from '../../dataset/load/modelFolder';
import { specialTokenText } from '../../dataset/tokens';
import type { ModelConfig } from '../model/config';
import { WeightsError } from '../weights/safetensors';
import { GgufType, type GgufValue } from './ggufFile';

/** llama.cpp's token types. */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]>; unk_token?: string | null };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  decoder?: unknown;
  pre_tokenizer?: unknown;
}

export function ggufTokenizerMetadata(modelDir: string, config: ModelConfig): Array<[string, GgufValue]> {
  const tokenizerPath = path.join(modelDir, 'tokenizer.json');
  if (!fs.existsSync(tokenizerPath)) throw new WeightsError(`${modelDir} has no tokenizer.json, which the GGUF file must carry`);
  const tokenizer = readJsonObject(tokenizerPath) as TokenizerJson;
  const configPath = path.join(modelDir, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(configPath) ? readJsonObject(configPath) : {};
  if (tokenizer.model?.type !== 'BPE' || !tokenizer.model.vocab) throw new WeightsError(`${tokenizerPath}: only BPE tokenizers can be exported to GGUF`);

  const byteLevel = JSON.stringify(tokenizer.decoder ?? null).includes('"ByteLevel"');
  const size = Math.max(config.vocabSize, ...Object.values(tokenizer.model.vocab).map((id) => id + 1));
  const tokens = Array.from({ length: size }, (_, id) => `[PAD${id}]`);
  const types = new Int32Array(size).fill(TOKEN_TYPE.UNUSED);
  for (const [piece, id] of Object.entries(tokenizer.model.vocab)) {
    tokens[id] = piece;
    types[id] = !byteLevel && /^<0x[0-9A-F]{2}>$/.test(piece) ? TOKEN_TYPE.BYTE : TOKEN_TYPE.NORMAL;
  }
  if (tokenizer.model.unk_token && tokenizer.model.vocab[tokenizer.model.unk_token] !== undefined) types[tokenizer.model.vocab[tokenizer.model.unk_token]!] = TOKEN_TYPE.UNKNOWN;
  for (const added of tokenizer.added_tokens ?? []) {
    tokens[added.id] = added.content;
    types[added.id] = added.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
  }
  const merges = (tokenizer.model.merges ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : m));

  const entries: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', { type: GgufType.STRING, value: byteLevel ? 'gpt2' : 'llama' }],
    ['tokenizer.ggml.tokens', { type: GgufType.ARRAY, itemType: GgufType.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { type: GgufType.ARRAY, itemType: GgufType.INT32, value: types }],
  ];
  if (byteLevel) {
    entries.push(['tokenizer.ggml.pre', { type: GgufType.STRING, value: preTokenizerName(tokenizer.pre_tokenizer) }]);
    entries.push(['tokenizer.ggml.merges', { type: GgufType.ARRAY, itemType: GgufType.STRING, value: merges }]);
  } else {
    // SentencePiece merges the pair whose result scores highest: score pieces by merge order.
    const scores = new Float32Array(size);
    merges.forEach((merge, rank) => {
      const id = tokenizer.model!.vocab![merge.replace(' ', '')];
      if (id !== undefined && scores[id] === 0) scores[id] = -(rank + 1);
    });
    entries.push(['tokenizer.ggml.scores', { type: GgufType.ARRAY, itemType: GgufType.FLOAT32, value: scores }]);
  }
  const idOf = (key: string): number | undefined => {
    const text = specialTokenText(tokenizerConfig[key]);
    if (text === undefined) return undefined;
    const index = tokens.indexOf(text);
    return index >= 0 ? index : undefined;
  };
  for (const [key, name] of [['bos_token', 'bos'], ['eos_token', 'eos'], ['unk_token', 'unknown'], ['pad_token', 'padding']] as const) {
    const id = idOf(key) ?? (name === 'bos' ? config.bosTokenId : name === 'eos' ? config.eosTokenIds[0] : undefined);
    if (id !== undefined) entries.push([`tokenizer.ggml.${name}_token_id`, { type: GgufType.UINT32, value: id }]);
  }
  if (typeof tokenizerConfig['add_bos_token'] === 'boolean') entries.push(['tokenizer.ggml.add_bos_token', { type: GgufType.BOOL, value: tokenizerConfig['add_bos_token'] }]);
  // The folder's chat template as the checker and trainer read it (chat_template.jinja, or the
  // string or named list in tokenizer_config.json).
  const template = loadModelFolder(modelDir).chatTemplate;
  if (template) entries.push(['tokenizer.chat_template', { type: GgufType.STRING, value: template }]);
  return entries;
}

/** llama.cpp's names for the pre-tokenizers it knows, recognised by their split pattern. */
function preTokenizerName(preTokenizer: unknown): string {
  const text = JSON.stringify(preTokenizer ?? null);
  if (text.includes('\\\\p{N}{1,3}')) return 'llama-bpe';
  if (text.includes('[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|')) return 'qwen2';
  return 'default';
}
