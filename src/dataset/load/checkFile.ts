/**
 * Checks a whole file as it streams: each line is checked as it is read and its findings are
 * handed on at once, duplicates are recognised against the lines before, and file-level
 * findings come last. Memory holds one line plus one number per distinct example.
 */
import * as fs from 'node:fs';
import { checkLine, type CheckContext, type LineResult } from '../checkLine';
import { duplicateFinding, FileSummary, fileLevelFindings } from '../fileSummary';
import { resolveFinding, type Finding, type LineFinding } from '../rules';
import { StatisticsCollector } from '../stats';
import type { CheckFlags, CheckSetup } from './checkSetup';
import { readLines, type FileLine } from './lineReader';
import { checkLinesInParallel, CheckWorkerPool } from './parallelCheck';

export interface FileCheckHandlers {
  onFinding(finding: Finding): void;
  /** Called now and then with the bytes and lines read so far. */
  onProgress?(bytesRead: number, lines: number): void;
}

export interface FileCheckOptions {
  /** Worker threads to check lines on; 1 checks on this thread. */
  jobs?: number;
  /** How workers rebuild the setup: the dataset's folder and the flags it was loaded with. */
  setupSource?: { datasetDir: string; flags: CheckFlags };
  /** Workers already started for this file (see {@link CheckWorkerPool}); they are ended with the check. */
  pool?: CheckWorkerPool;
}

export interface FileCheckResult {
  lines: number;
  statistics: StatisticsCollector;
}

/** Checks one line as read from a file: bytes that are not UTF-8 are a finding of their own. */
export function checkFileLine(line: Pick<FileLine, 'text' | 'invalidUtf8At'>, context: CheckContext): LineResult {
  if (line.invalidUtf8At === undefined) return checkLine(line.text, context);
  return { findings: [{ code: 'encoding/invalid-utf8', start: line.invalidUtf8At, end: line.invalidUtf8At + 1, message: 'This line has bytes that are not valid UTF-8: save the file as UTF-8' }] };
}

async function* checkedLines(file: string, setup: CheckSetup, options: FileCheckOptions): AsyncGenerator<{ line: FileLine; result: LineResult }> {
  const pool = options.pool ?? ((options.jobs ?? 1) > 1 && options.setupSource ? new CheckWorkerPool(options.setupSource, options.jobs!) : undefined);
  if (pool) {
    yield* checkLinesInParallel(readLines(file), pool);
    return;
  }
  for await (const line of readLines(file)) yield { line, result: checkFileLine(line, setup.context) };
}

/** How much of a file's start is read to tell text from binary, as git does. */
const BINARY_SNIFF_BYTES = 8000;

/**
 * An archive, a model file or UTF-16 text rather than UTF-8 JSON Lines: a NUL byte on the first
 * line, or control bytes in more than a tenth of the start. A stray NUL on a later line of a text
 * file is that line's finding, not the file's.
 */
function looksBinary(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(BINARY_SNIFF_BYTES);
    head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    fs.closeSync(fd);
  }
  const firstLineEnd = head.indexOf(0x0a);
  if (head.subarray(0, firstLineEnd < 0 ? head.length : firstLineEnd).includes(0)) return true;
  let control = 0;
  for (const byte of head) if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  return control > head.length / 10;
}

export async function checkFile(file: string, setup: CheckSetup, handlers: FileCheckHandlers, options: FileCheckOptions = {}): Promise<FileCheckResult> {
  const summary = new FileSummary();
  const statistics = new StatisticsCollector(setup.context.maxLength);
  const firstLineOf = new Map<number, number>();
  let lines = 0;
  let lastProgress = Date.now();
  const emit = (finding: LineFinding, line: number, scope?: 'file'): void => {
    const resolved = resolveFinding(finding, line, setup.overrides, scope);
    if (resolved) handlers.onFinding(resolved);
  };
  if (looksBinary(file)) {
    emit({ code: 'file/binary', start: 0, end: 0, message: 'This is not a text file (it holds NUL bytes: binary data, or text saved as UTF-16): a dataset is UTF-8 JSON Lines, one example per line' }, 0, 'file');
    return { lines: 0, statistics };
  }
  for await (const { line, result } of checkedLines(file, setup, options)) {
    if (line.bom) {
      emit({ code: 'encoding/bom', start: 0, end: 0, message: 'The file starts with a UTF-8 byte order mark, which many JSON Lines readers (Python\'s json.loads among them) reject on the first line: save the file as UTF-8 without BOM' }, 0, 'file');
    }
    lines++;
    summary.add(result, { index: line.index });
    statistics.add(result, line.index);
    if (result.hash !== undefined) {
      const first = firstLineOf.get(result.hash);
      if (first === undefined) firstLineOf.set(result.hash, line.index);
      else result.findings.push(duplicateFinding(line.text, first));
    }
    // The result is this loop's own: sorted in place, without a copy per line.
    for (const finding of result.findings.sort((a, b) => a.start - b.start)) emit(finding, line.index);
    if (handlers.onProgress && Date.now() - lastProgress > 200) {
      lastProgress = Date.now();
      handlers.onProgress(line.bytesRead, lines);
    }
  }
  for (const finding of fileLevelFindings(summary, setup.context, setup.notes)) emit(finding, 0, 'file');
  return { lines, statistics };
}
