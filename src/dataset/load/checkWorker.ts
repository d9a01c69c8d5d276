/**
 * A worker thread of the parallel file check: loads the same setup as the main thread, then
 * checks batches of lines. See `parallelCheck.ts` for the protocol.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkFileLine } from './checkFile';
import { loadCheckSetup } from './checkSetup';
import type { CheckWorkerData, LineBatch, LineBatchResult } from './parallelCheck';

const data = workerData as CheckWorkerData;
const setup = loadCheckSetup(data.datasetDir, data.flags);
parentPort!.on('message', (batch: LineBatch) => {
  const reply: LineBatchResult = { id: batch.id, results: batch.lines.map((line) => checkFileLine(line, setup.context)) };
  parentPort!.postMessage(reply);
});
