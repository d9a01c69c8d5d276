/**
 * Streams a file line by line with bounded memory (one line at a time, however long), decoding
 * each line as UTF-8 and reporting, rather than hiding, bytes that are not valid UTF-8.
 */
import * as fs from 'node:fs';

export interface FileLine {
  /** 0-based line number. */
  index: number;
  text: string;
  /** UTF-16 column of the first byte that is not valid UTF-8, if any. */
  invalidUtf8At?: number;
  /** Bytes read so far, for progress. */
  bytesRead: number;
  /** The file starts with a UTF-8 byte order mark (line 0 only); `text` does not hold it. */
  bom?: true;
  /** The line's bytes, kept when they are not valid UTF-8 so they can be copied unchanged. */
  rawBytes?: Uint8Array;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

export async function* readLines(file: string): AsyncGenerator<FileLine> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let pending: Buffer[] = [];
  let index = 0;
  let bytesRead = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      pending.push(chunk.subarray(from, nl));
      yield decodeLine(Buffer.concat(pending), index++, bytesRead);
      pending = [];
      from = nl + 1;
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  const rest = Buffer.concat(pending);
  if (rest.length > 0) yield decodeLine(rest, index, bytesRead);
}

function decodeLine(bytes: Buffer, index: number, bytesRead: number): FileLine {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--; // CRLF
  let start = 0;
  if (index === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3; // BOM
  const body = bytes.subarray(start, end);
  let line: FileLine;
  try {
    line = { index, text: strictDecoder.decode(body), bytesRead };
  } catch {
    const text = lenientDecoder.decode(body);
    const badByte = firstInvalidUtf8Byte(body);
    line = { index, text, invalidUtf8At: lenientDecoder.decode(body.subarray(0, badByte)).length, bytesRead, rawBytes: Uint8Array.from(body) };
  }
  if (start === 3) line.bom = true;
  return line;
}

/** Index of the first byte that starts an invalid UTF-8 sequence. */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const width = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 && b >= 0xc2 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 && b <= 0xf4 ? 4 : 0;
    if (width === 0 || i + width > bytes.length) return i;
    for (let k = 1; k < width; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    try {
      strictDecoder.decode(bytes.subarray(i, i + width)); // overlong forms and surrogates
    } catch {
      return i;
    }
    i += width;
  }
  return bytes.length;
}
