/**
 * `sft-studio convert FILE --out FILE [--force]`: rewrites ShareGPT and Alpaca lines as
 * `messages` records; every other line is copied byte for byte. Never overwrites without --force.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertLine } from '../../dataset/convert';
import { readLines } from '../../dataset/load/lineReader';
import { flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export async function runConvert(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { out: { value: true }, force: { value: false } });
  const input = args.positionals[0];
  const out = flag(args, 'out');
  if (!input || args.positionals.length > 1 || !out) throw new UsageError('usage: sft-studio convert FILE --out NEW_FILE [--force]');
  if (!fs.existsSync(input)) throw new UsageError(`No such file: ${input}`);
  if (fs.existsSync(out) && !args.flags.has('force')) throw new UsageError(`${out} already exists: choose another --out, or add --force to replace it`);

  // Written to a temporary file first and renamed, so the output is never half-written, and
  // --out may even name the input file itself.
  const temp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.${process.pid}.tmp`);
  const sink = fs.createWriteStream(temp);
  const counts = { sharegpt: 0, alpaca: 0, unchanged: 0, failed: 0 };
  const failedLines: number[] = [];
  const { eol, endsWithNewline } = lineEndings(input);
  let first = true;
  try {
    for await (const line of readLines(input)) {
      const result = line.invalidUtf8At === undefined ? convertLine(line.text) : { kind: 'unchanged' as const };
      if (result.kind === 'converted') counts[result.from]++;
      else counts[result.kind]++;
      if (result.kind === 'failed') failedLines.push(line.index + 1);
      // Unchanged lines go out as they came in: the byte order mark and bytes that are not UTF-8 too.
      const prefix = first ? (line.bom ? '\ufeff' : '') : eol;
      const body = result.kind === 'converted' ? result.text : line.rawBytes ? Buffer.from(line.rawBytes) : line.text;
      const chunk = typeof body === 'string' ? prefix + body : Buffer.concat([Buffer.from(prefix), body]);
      if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
      first = false;
    }
    if (endsWithNewline) sink.write(eol);
    await new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())));
    fs.renameSync(temp, out);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  io.stderr(`${out}: converted ${counts.sharegpt} ShareGPT and ${counts.alpaca} Alpaca lines; ${counts.unchanged} lines copied unchanged\n`);
  if (failedLines.length > 0) {
    io.stderr(`${counts.failed} ShareGPT/Alpaca lines have errors and were copied unchanged (lines ${failedLines.slice(0, 10).join(', ')}${failedLines.length > 10 ? ', ...' : ''}); run \`sft-studio check ${input}\` to see why\n`);
    return 1;
  }
  return 0;
}

/** The file's line ending (from its first line) and whether its last line ends with one. */
function lineEndings(file: string): { eol: string; endsWithNewline: boolean } {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    const firstNewline = head.subarray(0, read).indexOf(0x0a);
    const eol = firstNewline > 0 && head[firstNewline - 1] === 0x0d ? '\r\n' : '\n';
    const size = fs.fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const endsWithNewline = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a;
    return { eol, endsWithNewline };
  } finally {
    fs.closeSync(fd);
  }
}
