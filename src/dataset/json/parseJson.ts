/**
 * A JSON parser that keeps the position of every value, so findings can point at the exact
 * offending key or value rather than the whole line.
 *
 * Architecture invariant: parsing never throws and never recurses. Nesting is tracked on an
 * explicit stack, so a line nested hundreds of thousands deep cannot overflow the call stack;
 * nesting deeper than {@link MAX_JSON_DEPTH} is reported as an error instead of being parsed.
 * Objects keep their members as an ordered array, so keys such as `__proto__` are plain data and
 * duplicate keys stay visible.
 */
import { errorMessage } from '../../common/errors';

/** Nesting beyond this depth is rejected; no chat record needs more than a handful of levels. */
export const MAX_JSON_DEPTH = 512;

/** Offsets are UTF-16 code-unit indexes into the parsed text, end exclusive. */
export interface JsonSpan {
  start: number;
  end: number;
}

export interface JsonMember {
  key: string;
  keySpan: JsonSpan;
  value: JsonNode;
}

export type JsonNode =
  | (JsonSpan & { kind: 'object'; members: JsonMember[] })
  | (JsonSpan & { kind: 'array'; items: JsonNode[] })
  | (JsonSpan & { kind: 'string'; value: string })
  | (JsonSpan & { kind: 'number'; value: number; raw: string })
  | (JsonSpan & { kind: 'boolean'; value: boolean })
  | (JsonSpan & { kind: 'null' });

export interface JsonSyntaxError extends JsonSpan {
  message: string;
  /** `json/too-deep` for nesting past the limit, `json/invalid` for everything else. */
  code: 'json/invalid' | 'json/too-deep';
}

export type JsonParseResult =
  | { ok: true; value: JsonNode; /** Later occurrences of keys already present in their object. */ duplicateKeys: JsonMember[] }
  | { ok: false; error: JsonSyntaxError };

type ObjectNode = Extract<JsonNode, { kind: 'object' }>;
type ArrayNode = Extract<JsonNode, { kind: 'array' }>;

/** A container being filled; for objects, the key waiting for its value. */
interface OpenContainer {
  node: ObjectNode | ArrayNode;
  pendingKey?: { key: string; keySpan: JsonSpan } | undefined;
  /** Keys seen so far, built only for large objects (small ones are scanned). */
  keys?: Set<string>;
}

class JsonError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
    readonly code: JsonSyntaxError['code'] = 'json/invalid',
  ) {
    super(message);
  }
}

const NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses one JSON text (one dataset line). */
export function parseJson(text: string): JsonParseResult {
  try {
    const parser = new Parser(text);
    const value = parser.parseDocument();
    return { ok: true, value, duplicateKeys: parser.duplicateKeys };
  } catch (error) {
    if (error instanceof JsonError) {
      return { ok: false, error: { message: error.message, start: error.start, end: error.end, code: error.code } };
    }
    // A RangeError from an impossible allocation is still a finding, not a crash.
    const message = errorMessage(error);
    return { ok: false, error: { message: `Cannot parse this line: ${message}`, start: 0, end: text.length, code: 'json/invalid' } };
  }
}

class Parser {
  private pos = 0;
  readonly duplicateKeys: JsonMember[] = [];

  constructor(private readonly text: string) {}

  parseDocument(): JsonNode {
    this.skipWhitespace();
    if (this.pos >= this.text.length) throw new JsonError('Expected a JSON value, found nothing', 0, this.text.length);
    const root = this.parseValueIteratively();
    this.skipWhitespace();
    if (this.pos < this.text.length) {
      throw new JsonError('Unexpected text after the JSON value; put one JSON object on each line', this.pos, this.text.length);
    }
    return root;
  }

  /** Parses one value; containers are handled with an explicit stack instead of recursion. */
  private parseValueIteratively(): JsonNode {
    const stack: OpenContainer[] = [];
    let completed: JsonNode | undefined;
    for (;;) {
      if (completed === undefined) {
        // Expecting a value at this.pos.
        const ch = this.text.charCodeAt(this.pos);
        if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
          if (stack.length >= MAX_JSON_DEPTH) {
            throw new JsonError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is not supported`, this.pos, this.pos + 1, 'json/too-deep');
          }
          const start = this.pos++;
          const node: ObjectNode | ArrayNode =
            ch === 0x7b ? { kind: 'object', start, end: start, members: [] } : { kind: 'array', start, end: start, items: [] };
          this.skipWhitespace();
          const closer = ch === 0x7b ? 0x7d : 0x5d;
          if (this.text.charCodeAt(this.pos) === closer) {
            node.end = ++this.pos;
            completed = node;
          } else {
            const open: OpenContainer = { node };
            stack.push(open);
            if (node.kind === 'object') this.readKey(open);
            continue;
          }
        } else {
          completed = this.parseScalar();
        }
      }
      // A value is complete: attach it to its container, then find what comes next.
      const top = stack[stack.length - 1];
      if (top === undefined) return completed;
      if (top.node.kind === 'object') {
        const pending = top.pendingKey!;
        const member: JsonMember = { key: pending.key, keySpan: pending.keySpan, value: completed };
        if (this.hasKey(top, pending.key)) this.duplicateKeys.push(member);
        top.node.members.push(member);
        top.pendingKey = undefined;
      } else {
        top.node.items.push(completed);
      }
      completed = undefined;
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      const closer = top.node.kind === 'object' ? 0x7d : 0x5d;
      if (next === 0x2c /* , */) {
        this.pos++;
        this.skipWhitespace();
        if (top.node.kind === 'object') this.readKey(top);
        continue;
      }
      if (next === closer) {
        top.node.end = ++this.pos;
        stack.pop();
        completed = top.node;
        continue;
      }
      const what = top.node.kind === 'object' ? "',' or '}' after a property value" : "',' or ']' after an array element";
      throw this.unexpected(`Expected ${what}`);
    }
  }

  private hasKey(open: OpenContainer, key: string): boolean {
    const members = (open.node as ObjectNode).members;
    if (!open.keys && members.length < 16) return members.some((m) => m.key === key);
    open.keys ??= new Set(members.map((m) => m.key));
    const seen = open.keys.has(key);
    open.keys.add(key);
    return seen;
  }

  /** Reads `"key" :` inside an object and leaves the position at the value. */
  private readKey(open: OpenContainer): void {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== 0x22) {
      throw this.unexpected('Expected a property name in double quotes');
    }
    const key = this.parseString();
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) throw this.unexpected("Expected ':' after the property name");
    this.pos++;
    this.skipWhitespace();
    open.pendingKey = { key: key.value, keySpan: { start: key.start, end: key.end } };
  }

  private parseScalar(): JsonNode {
    const start = this.pos;
    const ch = this.text.charCodeAt(start);
    if (ch === 0x22) return this.parseString();
    if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER_PATTERN.lastIndex = start;
      const match = NUMBER_PATTERN.exec(this.text);
      if (!match) throw this.unexpected('Invalid number');
      this.pos = start + match[0].length;
      return { kind: 'number', start, end: this.pos, value: Number(match[0]), raw: match[0] };
    }
    for (const [word, node] of LITERALS) {
      if (this.text.startsWith(word, start)) {
        this.pos = start + word.length;
        return { ...node, start, end: this.pos } as JsonNode;
      }
    }
    if (Number.isNaN(ch)) throw new JsonError('Unexpected end of line; the JSON value is incomplete', start, start);
    throw this.unexpected('Expected a JSON value');
  }

  private parseString(): Extract<JsonNode, { kind: 'string' }> {
    const text = this.text;
    const start = this.pos++;
    let value = '';
    let chunkStart = this.pos;
    for (;;) {
      const ch = text.charCodeAt(this.pos);
      if (ch === 0x22) {
        value += text.slice(chunkStart, this.pos);
        this.pos++;
        return { kind: 'string', start, end: this.pos, value };
      }
      if (Number.isNaN(ch)) throw new JsonError('Unterminated string: the closing quote is missing', start, text.length);
      if (ch < 0x20) {
        throw new JsonError('Control character inside a string; write it as an escape such as \\n or \\t', this.pos, this.pos + 1);
      }
      if (ch === 0x5c /* \ */) {
        value += text.slice(chunkStart, this.pos);
        value += this.parseEscape();
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private parseEscape(): string {
    const escapeStart = this.pos;
    const ch = this.text[this.pos + 1];
    this.pos += 2;
    switch (ch) {
      case '"': return '"';
      case '\\': return '\\';
      case '/': return '/';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'u': {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new JsonError('Invalid \\u escape: expected four hex digits', escapeStart, Math.min(this.text.length, this.pos + 4));
        }
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        throw new JsonError(`Invalid escape sequence '\\${ch ?? ''}'`, escapeStart, Math.min(this.text.length, escapeStart + 2));
    }
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const ch = text.charCodeAt(pos);
      if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) pos++;
      else break;
    }
    this.pos = pos;
  }

  private unexpected(expectation: string): JsonError {
    if (this.pos >= this.text.length) {
      return new JsonError(`${expectation}, but the line ends here`, this.text.length, this.text.length);
    }
    const found = JSON.stringify(this.text[this.pos]);
    return new JsonError(`${expectation}, found ${found}`, this.pos, this.pos + 1);
  }
}

const LITERALS: ReadonlyArray<readonly [string, { kind: 'boolean'; value: boolean } | { kind: 'null' }]> = [
  ['true', { kind: 'boolean', value: true }],
  ['false', { kind: 'boolean', value: false }],
  ['null', { kind: 'null' }],
];

/** Looks up a member by key; with duplicate keys the last one wins, as in JSON.parse and Python. */
export function getMember(node: JsonNode, key: string): JsonMember | undefined {
  if (node.kind !== 'object') return undefined;
  for (let i = node.members.length - 1; i >= 0; i--) {
    if (node.members[i]!.key === key) return node.members[i];
  }
  return undefined;
}

/**
 * Converts a node to a plain JavaScript value, for handing to templates and hashing.
 * Iterative, and objects are built without a prototype so `__proto__` keys stay data.
 */
export function toPlainValue(root: JsonNode): unknown {
  const results = new Map<JsonNode, unknown>();
  const work: Array<{ node: JsonNode; expanded: boolean }> = [{ node: root, expanded: false }];
  while (work.length > 0) {
    const item = work.pop()!;
    const node = item.node;
    if (node.kind === 'object' || node.kind === 'array') {
      const children = node.kind === 'object' ? node.members.map((m) => m.value) : node.items;
      if (!item.expanded) {
        item.expanded = true;
        work.push(item);
        for (const child of children) work.push({ node: child, expanded: false });
        continue;
      }
      if (node.kind === 'array') {
        results.set(node, node.items.map((child) => results.get(child)));
      } else {
        const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        for (const member of node.members) {
          Object.defineProperty(obj, member.key, {
            value: results.get(member.value), enumerable: true, writable: true, configurable: true,
          });
        }
        results.set(node, obj);
      }
    } else {
      results.set(node, node.kind === 'null' ? null : node.value);
    }
  }
  return results.get(root);
}

/**
 * Maps an index into a JSON string's decoded value to the column of that character in the
 * source line, accounting for escapes (`\n` is two source characters, `\u00e9` six).
 */
export function sourceColumnOfStringIndex(source: string, node: JsonSpan, index: number): number {
  let column = node.start + 1;
  for (let decoded = 0; decoded < index && column < node.end - 1; decoded++) {
    if (source.charCodeAt(column) !== 0x5c) column++;
    else column += source[column + 1] === 'u' ? 6 : 2;
  }
  return column;
}

/** A bare copy of a node's range. */
export function spanOf(node: JsonSpan): JsonSpan {
  return { start: node.start, end: node.end };
}

/** How a node's kind is named in messages: "an object", "a string", "true". */
export function describeKind(node: JsonNode): string {
  switch (node.kind) {
    case 'object': return 'an object';
    case 'array': return 'an array';
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return node.value ? 'true' : 'false';
    case 'null': return 'null';
  }
}
