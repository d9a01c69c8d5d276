/**
 * The trainer's data pipeline: each line goes through the checker's own seam
 * (`prepareLine`: render, encode, mark, truncate), unusable lines are skipped and counted, and
 * examples are grouped into micro-batches, padded (right padding, each example its own segment)
 * or packed (several examples a row, positions restarting and no attention across them).
 *
 * Labels follow the convention documented in `src/dataset/example.ts`: position t predicts token
 * t + 1 and counts only when that token is trained and belongs to the same example.
 */
import * as fs from 'node:fs';
import { prepareLine, type ExampleContext } from '../../dataset/example';
import type { LineFinding } from '../../dataset/rules';
import { seededRandom } from '../generate';
import type { TrainingBatch } from '../model/llama';

export interface TrainingExample {
  ids: number[];
  trained: Uint8Array;
  /** 0-based line in the dataset file. */
  line: number;
}

export interface SkippedLine {
  line: number;
  finding: LineFinding;
}

export interface LoadedDataset {
  examples: TrainingExample[];
  skipped: SkippedLine[];
  tokens: number;
  trainedTokens: number;
}

/**
 * Reads a dataset file through the seam. With `assistantOnly` false every token is trained (the
 * first is never a target), as TRL does without `assistant_only_loss`.
 */
export function loadDataset(file: string, context: ExampleContext, assistantOnly: boolean): LoadedDataset {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const examples: TrainingExample[] = [];
  const skipped: SkippedLine[] = [];
  let tokens = 0;
  let trainedTokens = 0;
  lines.forEach((lineText, line) => {
    if (lineText.trim().length === 0) return;
    const prepared = prepareLine(lineText, { ...context, assistantOnly });
    if (!prepared.ok) {
      skipped.push({ line, finding: prepared.findings[0] ?? { code: 'format/unknown', start: 0, end: 0, message: 'unusable line' } });
      return;
    }
    examples.push({ ids: prepared.ids, trained: prepared.trained, line });
    tokens += prepared.ids.length;
    trainedTokens += prepared.trainedTokens;
  });
  return { examples, skipped, tokens, trainedTokens };
}

/** A micro-batch: the model's input plus the loss targets (flattened B*T, aligned with hidden rows). */
export interface MicroBatch extends TrainingBatch {
  /** Row index into the flattened (B*T) hidden states of each trained target, and its token. */
  targetRows: Int32Array;
  targetIds: Int32Array;
  /** Real (non-padding) tokens in the batch. */
  tokens: number;
}

/** The examples in the order an epoch visits them: a seeded shuffle, fixed by seed and epoch. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const random = seededRandom((seed * 7919 + epoch * 104729 + 1) >>> 0);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export interface BatchingOptions {
  batchSize: number;
  packing: boolean;
  maxLength: number;
  padId: number;
  seed: number;
}

/**
 * Groups one epoch's rows into micro-batches of `batchSize`. Rows are examples, or packed rows
 * built in file order; their order is shuffled per epoch (`shuffle` false keeps file order, for
 * evaluation). Every epoch has the same number of batches, so a step number fixes its data.
 */
export function epochBatches(examples: readonly TrainingExample[], epoch: number, options: BatchingOptions, shuffle = true): MicroBatch[] {
  const rows: TrainingExample[][] = options.packing ? packRows(examples, options.maxLength) : examples.map((e) => [e]);
  const order = shuffle ? epochOrder(rows.length, options.seed, epoch) : rows.map((_, i) => i);
  const batches: MicroBatch[] = [];
  for (let i = 0; i < order.length; i += options.batchSize) batches.push(makeBatch(order.slice(i, i + options.batchSize).map((r) => rows[r]!), options.padId));
  return batches;
}

/** Greedy packing in order: an example starts a new row when it would overflow the current one. */
function packRows(examples: readonly TrainingExample[], maxLength: number): TrainingExample[][] {
  const rows: TrainingExample[][] = [];
  let current: TrainingExample[] = [];
  let length = 0;
  for (const example of examples) {
    if (current.length > 0 && length + example.ids.length > maxLength) {
      rows.push(current);
      current = [];
      length = 0;
    }
    current.push(example);
    length += example.ids.length;
  }
  if (current.length > 0) rows.push(current);
  return rows;
}

/** Pads rows (each a list of examples) to the longest row; segments mark examples, -1 padding. */
export function makeBatch(rows: readonly (readonly TrainingExample[])[], padId: number): MicroBatch {
  const width = Math.max(...rows.map((row) => row.reduce((n, e) => n + e.ids.length, 0)));
  const ids: number[][] = [];
  const positions: number[][] = [];
  const segments: number[][] = [];
  const targetRows: number[] = [];
  const targetIds: number[] = [];
  let tokens = 0;
  rows.forEach((row, b) => {
    const rowIds: number[] = [];
    const rowPositions: number[] = [];
    const rowSegments: number[] = [];
    row.forEach((example, segment) => {
      const offset = rowIds.length;
      example.ids.forEach((id, t) => {
        rowIds.push(id);
        rowPositions.push(t);
        rowSegments.push(segment);
        // Position offset + t - 1 predicts this token.
        if (t > 0 && example.trained[t] === 1) {
          targetRows.push(b * width + offset + t - 1);
          targetIds.push(id);
        }
      });
    });
    tokens += rowIds.length;
    while (rowIds.length < width) {
      rowIds.push(padId);
      rowPositions.push(0);
      rowSegments.push(-1);
    }
    ids.push(rowIds);
    positions.push(rowPositions);
    segments.push(rowSegments);
  });
  return { ids, positions, segments, targetRows: Int32Array.from(targetRows), targetIds: Int32Array.from(targetIds), tokens };
}
