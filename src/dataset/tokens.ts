/**
 * A model's real tokenizer (`@huggingface/tokenizers`), with the one thing that library does not
 * give: the character span of each token in the encoded text. The trained-token mask needs it to
 * decide which tokens fall inside a reply.
 *
 * Offsets are rebuilt from the bytes each token stands for (byte-level BPE maps each character
 * of a token to one byte; SentencePiece-style vocabularies write spaces as `▁` and unknown bytes
 * as `<0xNN>`; added tokens stand for their literal text) and aligned against the UTF-8 bytes of
 * the input. A `▁` that the tokenizer inserted itself (Llama 2 and Mistral prepend one to every
 * segment) is recognised and given no width.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { installFastPaths } from './tokenizerFastPaths';

export interface TokenizerFiles {
  /** Parsed `tokenizer.json`. */
  tokenizerJson: Record<string, unknown>;
  /** Parsed `tokenizer_config.json` (may be empty). */
  tokenizerConfig: Record<string, unknown>;
}

export interface EncodedText {
  ids: number[];
  /** Start and end (exclusive) UTF-16 offsets of token i at [2i] and [2i+1]. */
  offsets: Int32Array;
  /** True when the tokenizer normalised the text so that some offsets are estimates. */
  approximate: boolean;
}

type TokenBytesMode = 'byte-level' | 'metaspace';

const utf8 = new TextEncoder();

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly mode: TokenBytesMode;
  /** Token bytes concatenate to exactly the text's bytes, so offsets need no byte comparison. */
  private readonly tokensTileText: boolean;
  private readonly addedTokenText = new Map<number, string>();
  private readonly bytesCache = new Map<number, Uint8Array>();
  /** Byte length of each token id seen so far, -1 where not yet known. */
  private byteLengths = new Int32Array(0);
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly bosId: number | undefined;
  /** Literal text of the tokenizer's special added tokens. */
  readonly specialTokens: readonly string[];
  /** Whether encoding with the tokenizer's own settings puts a BOS token in front. */
  readonly addsBos: boolean;
  /** Splits text at control tokens where encoding the sections apart gives the same ids; see {@link sectionSplitterFor}. */
  private readonly sectionSplitter: RegExp | undefined;
  /** Each control token the splitter matches, encoded: its one id, spanning its whole text. */
  private readonly controlTokens = new Map<string, EncodedText>();
  private readonly pieceCache = new BoundedCache<EncodedText>();
  private readonly pieceIdsCache = new BoundedCache<readonly number[]>();

  constructor(files: TokenizerFiles) {
    this.tokenizer = libraryTokenizer(files);
    installFastPaths(this.tokenizer);
    files = { ...files, tokenizerJson: withConfigAddedTokens(files.tokenizerJson, files.tokenizerConfig) };
    this.mode = JSON.stringify(files.tokenizerJson['decoder'] ?? null).includes('"ByteLevel"') ? 'byte-level' : 'metaspace';
    this.tokensTileText = this.mode === 'byte-level' && (files.tokenizerJson['normalizer'] === null || files.tokenizerJson['normalizer'] === undefined);
    const special: string[] = [];
    const added = files.tokenizerJson['added_tokens'];
    if (Array.isArray(added)) {
      for (const token of added as Array<{ id?: unknown; content?: unknown; special?: unknown }>) {
        if (typeof token.id === 'number' && typeof token.content === 'string') {
          this.addedTokenText.set(token.id, token.content);
          if (token.special === true) special.push(token.content);
        }
      }
    }
    this.specialTokens = special;
    this.bosToken = specialTokenText(files.tokenizerConfig['bos_token']);
    this.eosToken = specialTokenText(files.tokenizerConfig['eos_token']);
    this.bosId = this.bosToken === undefined ? undefined : this.tokenizer.token_to_id(this.bosToken);
    this.addsBos = this.detectAddedBos();
    const controlTokenIds = new Map<string, number>();
    this.sectionSplitter = sectionSplitterFor(files.tokenizerJson, controlTokenIds);
    for (const [content, id] of controlTokenIds) this.controlTokens.set(content, { ids: [id], offsets: Int32Array.of(0, content.length), approximate: false });
  }

  /** Token ids of `text` as a trainer encodes rendered chat text: no special tokens added. */
  encodeIds(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Token ids plus the character span of each token. Rendered chat text is encoded section by
   * section between control tokens, as the tokenizer itself does, and sections seen before (system
   * prompts, role names, the text between markers) come from a cache: a check encodes each of them
   * once per file rather than once per example.
   */
  encodeWithOffsets(text: string): EncodedText {
    const splitter = this.sectionSplitter;
    if (!splitter) return this.encodePiece(text);
    if (this.tokensTileText) {
      // The tokens' bytes tile the text, so one pass over the whole text finds every offset.
      const ids: number[] = [];
      forEachSection(text, splitter, (start, end) => {
        for (const id of this.cachedPieceIds(text.slice(start, end))) ids.push(id);
      }, (control) => ids.push(this.controlTokens.get(control)!.ids[0]!));
      return { ids, ...this.alignOffsets(text, ids) };
    }
    // Offsets are found section by section, so that a normaliser's change stays inside its section.
    const sections: EncodedText[] = [];
    const sectionStarts: number[] = [];
    let tokenCount = 0;
    const addSection = (section: EncodedText, start: number): void => {
      sections.push(section);
      sectionStarts.push(start);
      tokenCount += section.ids.length;
    };
    forEachSection(text, splitter, (start, end) => addSection(this.cachedPiece(text.slice(start, end)), start), (control, start) => addSection(this.controlTokens.get(control)!, start));
    const ids = new Array<number>(tokenCount);
    const offsets = new Int32Array(2 * tokenCount);
    let approximate = false;
    let token = 0;
    for (let s = 0; s < sections.length; s++) {
      const section = sections[s]!;
      const start = sectionStarts[s]!;
      approximate ||= section.approximate;
      for (let i = 0; i < section.ids.length; i++, token++) {
        ids[token] = section.ids[i]!;
        offsets[2 * token] = start + section.offsets[2 * i]!;
        offsets[2 * token + 1] = start + section.offsets[2 * i + 1]!;
      }
    }
    return { ids, offsets, approximate };
  }

  private encodePiece(text: string): EncodedText {
    const ids = this.encodeIds(text);
    const { offsets, approximate } = this.alignOffsets(text, ids);
    return { ids, offsets, approximate };
  }

  private cachedPiece(piece: string): EncodedText {
    return piece.length > MAX_CACHED_PIECE ? this.encodePiece(piece) : this.pieceCache.get(piece, () => this.encodePiece(piece));
  }

  private cachedPieceIds(piece: string): readonly number[] {
    return piece.length > MAX_CACHED_PIECE ? this.encodeIds(piece) : this.pieceIdsCache.get(piece, () => this.encodeIds(piece));
  }

  /** Token ids with the tokenizer's own special tokens added (BOS where it adds one). */
  encodeWithSpecialTokens(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: true }).ids;
  }

  decodeToken(id: number): string {
    return this.tokenizer.decode([id], { skip_special_tokens: false });
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // The library rejects an empty list; a reply that stopped at once is the empty string.
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of a token given its text, such as "<|eot_id|>"; undefined when it is not one token. */
  tokenId(text: string): number | undefined {
    return this.tokenizer.token_to_id(text);
  }

  private detectAddedBos(): boolean {
    if (this.bosId === undefined) return false;
    const ids = this.tokenizer.encode('a', { add_special_tokens: true }).ids;
    return ids[0] === this.bosId;
  }

  /** `tokenBytes(id).length`, from a table: the offsets of every token of every example need it. */
  private tokenByteLength(id: number): number {
    if (id >= this.byteLengths.length) {
      const grown = new Int32Array(Math.max(id + 1, 2 * this.byteLengths.length)).fill(-1);
      grown.set(this.byteLengths);
      this.byteLengths = grown;
    }
    let length = this.byteLengths[id]!;
    if (length < 0) this.byteLengths[id] = length = this.tokenBytes(id).length;
    return length;
  }

  /** The bytes a token stands for in the original text. */
  private tokenBytes(id: number): Uint8Array {
    let bytes = this.bytesCache.get(id);
    if (bytes) return bytes;
    const added = this.addedTokenText.get(id);
    if (added !== undefined) {
      bytes = utf8.encode(added);
    } else {
      const piece = this.tokenizer.id_to_token(id) ?? '';
      bytes = this.mode === 'byte-level' ? byteLevelBytes(piece) : metaspaceBytes(piece);
    }
    this.bytesCache.set(id, bytes);
    return bytes;
  }

  /** Added tokens written with `▁` (Gemma's runs of spaces) stand for spaces in the text. */
  private spacedAddedToken(id: number): Uint8Array | undefined {
    const content = this.addedTokenText.get(id);
    return content?.includes('\u2581') ? utf8.encode(content.replace(/\u2581/g, ' ')) : undefined;
  }

  private matchesAsSpaces(id: number, source: Uint8Array, at: number): boolean {
    const spaced = this.spacedAddedToken(id);
    return spaced !== undefined && matchesAt(source, at, spaced, 0);
  }

  private alignOffsets(text: string, ids: readonly number[]): { offsets: Int32Array; approximate: boolean } {
    if (this.tokensTileText) {
      // Byte-level BPE without a normaliser: the tokens' bytes are the text's bytes, in order.
      const byteLength = Buffer.byteLength(text, 'utf8');
      const offsets = new Int32Array(ids.length * 2);
      let cursor = 0;
      if (byteLength === text.length) {
        // Every character is one byte: byte offsets are character offsets.
        for (let i = 0; i < ids.length; i++) {
          offsets[2 * i] = cursor;
          cursor += this.tokenByteLength(ids[i]!);
          offsets[2 * i + 1] = Math.min(cursor, byteLength);
        }
      } else {
        const charAt = byteToCharIndex(text, byteLength);
        for (let i = 0; i < ids.length; i++) {
          offsets[2 * i] = charAt.floor(cursor);
          cursor += this.tokenByteLength(ids[i]!);
          offsets[2 * i + 1] = charAt.ceil(Math.min(cursor, byteLength));
        }
      }
      if (cursor === byteLength) return { offsets, approximate: false };
    }
    const source = utf8.encode(text);
    const charAt = byteToCharIndex(text, source.length);
    const offsets = new Int32Array(ids.length * 2);
    let cursor = 0;
    let approximate = false;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes(ids[i]!);
      const start = cursor;
      if (matchesAt(source, cursor, bytes, 0)) {
        cursor += bytes.length;
      } else if (bytes[0] === 0x20 && matchesAt(source, cursor, bytes, 1)) {
        cursor += bytes.length - 1; // a `▁` the tokenizer prepended itself
      } else if (this.matchesAsSpaces(ids[i]!, source, cursor)) {
        cursor += this.spacedAddedToken(ids[i]!)!.length; // an added token such as Gemma's `▁▁`
      } else {
        approximate = true; // a normaliser changed the text; keep going at the token's length
        cursor = Math.min(source.length, cursor + bytes.length);
      }
      offsets[2 * i] = charAt.floor(start);
      offsets[2 * i + 1] = charAt.ceil(cursor);
    }
    return { offsets, approximate };
  }
}

/** Sections longer than this are not cached: they are the unique text of one example. */
const MAX_CACHED_PIECE = 1024;
/** The cache starts over past this many sections, which bounds its memory to a few megabytes. */
const MAX_CACHED_PIECES = 20_000;

/** Encoded sections by their text, forgotten all at once when there are too many. */
class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  get(key: string, compute: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= MAX_CACHED_PIECES) this.entries.clear();
      value = compute();
      this.entries.set(key, value);
    }
    return value;
  }
}

/** Calls `onText` for the text between control tokens (start and end) and `onControl` for each control token, in order. */
function forEachSection(text: string, splitter: RegExp, onText: (start: number, end: number) => void, onControl: (control: string, start: number) => void): void {
  let from = 0;
  splitter.lastIndex = 0;
  for (let match = splitter.exec(text); match; match = splitter.exec(text)) {
    if (match.index > from) onText(from, match.index);
    onControl(match[0], match.index);
    from = match.index + match[0].length;
  }
  if (text.length > from) onText(from, text.length);
}

/**
 * The tokenizer splits text at its added tokens and encodes each section on its own, so encoding
 * the sections apart gives the same ids, with two exceptions this leaves alone: a token with
 * lstrip / rstrip (it trims its neighbours) and a Metaspace pre-tokenizer that prepends `▁` only
 * to the first section (`prepend_scheme: "first"`). Splits at special, unnormalized added tokens
 * only; undefined when none qualify or the pre-tokenizer depends on the section.
 */
function sectionSplitterFor(tokenizerJson: Record<string, unknown>, ids: Map<string, number>): RegExp | undefined {
  if (JSON.stringify(tokenizerJson['pre_tokenizer'] ?? null).includes('"first"')) return undefined;
  const added = Array.isArray(tokenizerJson['added_tokens']) ? tokenizerJson['added_tokens'] as Array<Record<string, unknown>> : [];
  const hasNormalizer = tokenizerJson['normalizer'] !== null && tokenizerJson['normalizer'] !== undefined;
  for (const token of added) {
    if (typeof token['content'] !== 'string' || typeof token['id'] !== 'number' || token['content'].length === 0) continue;
    if (token['special'] !== true || token['lstrip'] === true || token['rstrip'] === true || (token['normalized'] === true && hasNormalizer)) continue;
    ids.set(token['content'], token['id']);
  }
  if (ids.size === 0) return undefined;
  const escaped = [...ids.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'g');
}

/**
 * The library's tokenizer as `TextTokenizer` builds it, without this module's fast paths: the
 * reference the tests and the checker benchmark's floor compare against.
 */
export function libraryTokenizer(files: TokenizerFiles): Tokenizer {
  return new Tokenizer(withConfigAddedTokens(files.tokenizerJson, files.tokenizerConfig), files.tokenizerConfig);
}

/**
 * Adds the tokens of `added_tokens_decoder` in tokenizer_config.json that tokenizer.json does not
 * list, as transformers does when it loads a tokenizer: InternLM2 declares `<|im_start|>` and
 * `<|im_end|>` only there, and without them its chat markers would be split into pieces.
 */
function withConfigAddedTokens(tokenizerJson: Record<string, unknown>, config: Record<string, unknown>): Record<string, unknown> {
  const decoder = config['added_tokens_decoder'];
  if (!decoder || typeof decoder !== 'object') return tokenizerJson;
  const listed = Array.isArray(tokenizerJson['added_tokens']) ? tokenizerJson['added_tokens'] as Array<{ id?: unknown }> : [];
  const known = new Set(listed.map((t) => t.id));
  const extra: Array<Record<string, unknown>> = [];
  for (const [key, value] of Object.entries(decoder as Record<string, unknown>)) {
    const id = Number(key);
    const token = value as { content?: unknown } | null;
    if (!Number.isInteger(id) || known.has(id) || typeof token?.content !== 'string') continue;
    const flags = value as Record<string, unknown>;
    extra.push({
      id, content: token.content, special: flags['special'] === true,
      single_word: flags['single_word'] === true, lstrip: flags['lstrip'] === true, rstrip: flags['rstrip'] === true,
      normalized: flags['normalized'] === true,
    });
  }
  return extra.length === 0 ? tokenizerJson : { ...tokenizerJson, added_tokens: [...listed, ...extra] };
}

/** A special token's text in tokenizer_config.json: a string, or an AddedToken object with `content`. */
export function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

function matchesAt(source: Uint8Array, at: number, bytes: Uint8Array, from: number): boolean {
  if (bytes.length - from === 0 || at + bytes.length - from > source.length) return false;
  for (let k = from; k < bytes.length; k++) {
    if (source[at + k - from] !== bytes[k]) return false;
  }
  return true;
}

/** GPT-2's byte-to-printable-character table, inverted: printable character -> byte. */
const BYTE_LEVEL_DECODER: ReadonlyMap<number, number> = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<number, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) map.set(b, b);
    else map.set(256 + shifted++, b);
  }
  return map;
})();

function byteLevelBytes(piece: string): Uint8Array {
  const out = new Uint8Array(piece.length);
  let n = 0;
  for (const ch of piece) {
    const byte = BYTE_LEVEL_DECODER.get(ch.codePointAt(0)!);
    if (byte === undefined) return utf8.encode(piece); // not a byte-level piece after all
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

function metaspaceBytes(piece: string): Uint8Array {
  const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  if (fallback) return Uint8Array.of(parseInt(fallback[1]!, 16));
  return utf8.encode(piece.replace(/\u2581/g, ' '));
}

const ASCII_INDEX = { floor: (b: number): number => b, ceil: (b: number): number => b };

/** Maps UTF-8 byte offsets of `text` to UTF-16 offsets, rounding down or up inside a character. */
function byteToCharIndex(text: string, byteLength: number): { floor(byte: number): number; ceil(byte: number): number } {
  if (byteLength === text.length) return ASCII_INDEX; // every character is one byte
  const floorIndex = new Int32Array(byteLength + 1);
  const boundary = new Uint8Array(byteLength + 1);
  let byte = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    boundary[byte] = 1;
    for (let k = 0; k < width; k++) floorIndex[byte + k] = i;
    byte += width;
    if (code >= 0x10000) i++;
  }
  floorIndex[byteLength] = text.length;
  boundary[byteLength] = 1;
  return {
    floor: (b) => floorIndex[b]!,
    ceil: (b) => {
      if (boundary[b]) return floorIndex[b]!;
      const charStart = floorIndex[b]!;
      return charStart + (text.codePointAt(charStart)! >= 0x10000 ? 2 : 1);
    },
  };
}
