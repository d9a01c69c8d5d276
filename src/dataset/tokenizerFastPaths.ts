/**
 * Faster equivalents of the two hot spots of `@huggingface/tokenizers` when it encodes a large
 * dataset, installed on one tokenizer instance. Each returns exactly what the library's own code
 * returns (test/unit/tokens.test.ts compares ids with an unmodified instance on every shipped
 * tokenizer), and each is installed only where the instance has the shape it was written for, so a
 * library whose internals change simply runs its own code.
 *
 * - BPE looks up the rank of every adjacent pair of a word it has not cached by building
 *   `JSON.stringify([left, right])` and reading its merge table: a third of the encoding time on
 *   text with many rare words. Pair ranks are remembered here, read from that same table.
 * - The byte-level pre-tokenizer turns each piece into its UTF-8 bytes and each byte into a
 *   printable character through an array; printable ASCII maps to itself, so ASCII text needs
 *   only its spaces and control characters replaced.
 */
import type { Tokenizer } from '@huggingface/tokenizers';

/** Pair ranks remembered at most; past this the memo starts over (random text has many pairs). */
const MAX_REMEMBERED_PAIRS = 200_000;

interface BpeNode { token: string; bias: number; score?: number; next: BpeNode | null }
interface BpeModelShape {
  bpe_ranks: Map<string, number>;
  add_node(queue: { push(node: BpeNode): void }, node: BpeNode): void;
}
interface ByteLevelShape {
  byte_encoder: Record<number, string>;
  use_regex: boolean;
  add_prefix_space: boolean;
  pre_tokenize_text(text: string, options?: unknown): string[];
}

export function installFastPaths(tokenizer: Tokenizer): void {
  const internals = tokenizer as unknown as { model?: unknown; pre_tokenizer?: unknown };
  if (isBpeModel(internals.model)) rememberPairRanks(internals.model);
  for (const byteLevel of byteLevelPreTokenizers(internals.pre_tokenizer)) mapAsciiDirectly(byteLevel);
}

function isBpeModel(model: unknown): model is BpeModelShape {
  const candidate = model as Partial<BpeModelShape> | undefined;
  return candidate?.bpe_ranks instanceof Map && typeof candidate.add_node === 'function';
}

/** The library's `add_node` with the rank of each pair read once from its own table. */
function rememberPairRanks(model: BpeModelShape): void {
  const ranks = model.bpe_ranks;
  // Left token -> right token -> rank, or -1 where the pair is not a merge.
  let remembered = new Map<string, Map<string, number>>();
  let size = 0;
  model.add_node = (queue, node) => {
    const left = node.token;
    const right = node.next!.token;
    let byRight = remembered.get(left);
    let rank = byRight?.get(right);
    if (rank === undefined) {
      if (size >= MAX_REMEMBERED_PAIRS) {
        remembered = new Map();
        size = 0;
        byRight = undefined;
      }
      rank = ranks.get(JSON.stringify([left, right])) ?? -1;
      if (!byRight) remembered.set(left, byRight = new Map());
      byRight.set(right, rank);
      size++;
    }
    if (rank >= 0) {
      node.score = rank + node.bias;
      queue.push(node);
    }
  };
}

function byteLevelPreTokenizers(preTokenizer: unknown): ByteLevelShape[] {
  const sequence = (preTokenizer as { tokenizers?: unknown } | null | undefined)?.tokenizers;
  const parts = Array.isArray(sequence) ? sequence as unknown[] : [preTokenizer];
  return parts.filter((part): part is ByteLevelShape => {
    const candidate = part as Partial<ByteLevelShape> | null | undefined;
    return typeof candidate?.byte_encoder === 'object' && candidate.byte_encoder !== null && typeof candidate.pre_tokenize_text === 'function';
  });
}

/**
 * A byte-level pre-tokenizer that neither splits (its `use_regex` is off: the Split before it
 * did) nor adds a prefix space maps its one piece to byte characters; an ASCII piece is mapped
 * here, anything else by the library.
 */
function mapAsciiDirectly(byteLevel: ByteLevelShape): void {
  if (byteLevel.use_regex !== false || byteLevel.add_prefix_space !== false) return;
  const asciiChars: string[] = [];
  for (let byte = 0; byte < 0x80; byte++) {
    const char = byteLevel.byte_encoder[byte];
    if (typeof char !== 'string') return;
    asciiChars.push(char);
  }
  // 1 where a character maps to another (space, control characters); printable ASCII maps to itself.
  const changes = Uint8Array.from(asciiChars, (char, code) => (char === String.fromCharCode(code) ? 0 : 1));
  const library = byteLevel.pre_tokenize_text.bind(byteLevel);
  byteLevel.pre_tokenize_text = (text, options) => {
    const mapped = mapAscii(text, asciiChars, changes);
    return mapped === undefined ? library(text, options) : [mapped];
  };
}

/** `text` with each character replaced by its byte's character; undefined unless all ASCII. */
function mapAscii(text: string, asciiChars: readonly string[], changes: Uint8Array): string | undefined {
  let changed = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return undefined;
    changed |= changes[code]!;
  }
  if (changed === 0) return text;
  let mapped = '';
  for (let i = 0; i < text.length; i++) mapped += asciiChars[text.charCodeAt(i)]!;
  return mapped;
}
