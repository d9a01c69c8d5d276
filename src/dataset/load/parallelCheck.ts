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

/**
 * Check workers, started as soon as it is known they will be needed: each loads its template and
 * tokenizer while the main thread loads its own, instead of after it.
 */
export class CheckWorkerPool {
  readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve(results: LineResult[]): void; reject(error: Error): void }>();
  /** Why a worker stopped, when one did: batches sent after that fail at once. */
  private failure: Error | undefined;

  constructor(workerData: CheckWorkerData, jobs: number) {
    this.workers = Array.from({ length: jobs }, () => startWorker(workerData));
    const failAll = (error: Error): void => {
      this.failure ??= error;
      for (const pending of this.waiting.values()) pending.reject(error);
      this.waiting.clear();
    };
    for (const worker of this.workers) {
      worker.on('message', (reply: LineBatchResult) => {
        this.waiting.get(reply.id)?.resolve(reply.results);
        this.waiting.delete(reply.id);
      });
      worker.on('error', failAll);
      worker.on('exit', (code) => { if (code !== 0) failAll(new Error(`a check worker stopped with exit code ${code}`)); });
    }
  }

  /** Sends a batch to a worker; resolves to one result per line. */
  check(batch: LineBatch): Promise<LineResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    const results = new Promise<LineResult[]>((resolve, reject) => this.waiting.set(batch.id, { resolve, reject }));
    this.workers[batch.id % this.workers.length]!.postMessage(batch);
    return results;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

export async function* checkLinesInParallel(
  lines: AsyncIterable<FileLine>,
  pool: CheckWorkerPool,
): AsyncGenerator<{ line: FileLine; result: LineResult }> {
  const jobs = pool.workers.length;
  const inFlight: Array<{ lines: FileLine[]; results: Promise<LineResult[]> }> = [];
  let nextId = 0;
  const send = (batch: FileLine[]): void => {
    const id = nextId++;
    const results = pool.check({ id, lines: batch.map(({ text, invalidUtf8At }) => (invalidUtf8At === undefined ? { text } : { text, invalidUtf8At })) });
    // A failure is reported when the batch is drained, in order; until then it must not go unhandled.
    results.catch(() => undefined);
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
    await pool.terminate();
  }
}

async function* drainOne(inFlight: Array<{ lines: FileLine[]; results: Promise<LineResult[]> }>): AsyncGenerator<{ line: FileLine; result: LineResult }> {
  const done = inFlight.shift()!;
  const results = await done.results;
  for (let i = 0; i < done.lines.length; i++) yield { line: done.lines[i]!, result: results[i]! };
}
