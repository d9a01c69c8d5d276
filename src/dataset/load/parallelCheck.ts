/**
 * Checks the lines of a file on worker threads, in batches, and hands the results back in file
 * order. Each worker loads its own template and tokenizer (they cannot be shared between
 * threads); the number of batches in flight is bounded, so memory stays bounded too.
 *
 * Protocol (main thread <-> worker): the main thread posts a {@link LineBatch}; the worker
 * answers with a {@link LineBatchResult} carrying the same id.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LineResult } from '../checkLine';
import type { CheckFlags } from './checkSetup';
import type { FileLine } from './lineReader';

export interface CheckWorkerData {
  datasetDir: string;
  flags: CheckFlags;
}

/** main -> worker: lines to check. */
export interface LineBatch {
  id: number;
  lines: Array<Pick<FileLine, 'text' | 'invalidUtf8At'>>;
}

/** worker -> main: one result per line of the batch with the same id. */
export interface LineBatchResult {
  id: number;
  results: LineResult[];
}

const BATCH_LINES = 256;
const BATCHES_IN_FLIGHT_PER_WORKER = 4;

/** Starts a worker: the bundled script in dist/, or the TypeScript source through tsx in tests. */
function startWorker(workerData: CheckWorkerData): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'checkWorker.js'), { workerData });
  const source = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'checkWorker.ts'))});`;
  return new Worker(source, { eval: true, workerData });
}

export async function* checkLinesInParallel(
  lines: AsyncIterable<FileLine>,
  workerData: CheckWorkerData,
  jobs: number,
): AsyncGenerator<{ line: FileLine; result: LineResult }> {
  const workers = Array.from({ length: jobs }, () => startWorker(workerData));
  const waiting = new Map<number, { resolve(results: LineResult[]): void; reject(error: Error): void }>();
  const failAll = (error: Error): void => {
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  for (const worker of workers) {
    worker.on('message', (reply: LineBatchResult) => {
      waiting.get(reply.id)?.resolve(reply.results);
      waiting.delete(reply.id);
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => { if (code !== 0) failAll(new Error(`a check worker stopped with exit code ${code}`)); });
  }
  const inFlight: Array<{ lines: FileLine[]; results: Promise<LineResult[]> }> = [];
  let nextId = 0;
  const send = (batch: FileLine[]): void => {
    const id = nextId++;
    const results = new Promise<LineResult[]>((resolve, reject) => waiting.set(id, { resolve, reject }));
    workers[id % workers.length]!.postMessage({ id, lines: batch.map(({ text, invalidUtf8At }) => (invalidUtf8At === undefined ? { text } : { text, invalidUtf8At })) } satisfies LineBatch);
    inFlight.push({ lines: batch, results });
  };
  try {
    let batch: FileLine[] = [];
    for await (const line of lines) {
      batch.push(line);
      if (batch.length < BATCH_LINES) continue;
      send(batch);
      batch = [];
      while (inFlight.length >= jobs * BATCHES_IN_FLIGHT_PER_WORKER) yield* drainOne(inFlight);
    }
    if (batch.length > 0) send(batch);
    while (inFlight.length > 0) yield* drainOne(inFlight);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

async function* drainOne(inFlight: Array<{ lines: FileLine[]; results: Promise<LineResult[]> }>): AsyncGenerator<{ line: FileLine; result: LineResult }> {
  const done = inFlight.shift()!;
  const results = await done.results;
  for (let i = 0; i < done.lines.length; i++) yield { line: done.lines[i]!, result: results[i]! };
}
