/**
 * Folds a run's trainer events (`events.ndjson`, or the live stream) into the state that the run
 * panel and the runs tree show. Pure and incremental: the host folds events as they arrive, a
 * webview that says "ready" gets the folded state, and replaying the file after a window reload
 * gives exactly the state a live listener built. No Node, no DOM.
 */
import type { EndEvent, StartedEvent, TrainerEvent } from './trainerProtocol';

export type RunStatus = 'starting' | 'running' | 'completed' | 'stopped' | 'failed';

/** One logged optimizer step, as the charts plot it. */
export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  /** What the TensorFlow.js backend held after this step (bytes). */
  backendBytes: number;
}

export interface RunState {
  status: RunStatus;
  started?: StartedEvent;
  steps: StepPoint[];
  evals: Array<{ step: number; epoch: number; loss: number }>;
  /** Sample generations, in the order they were made. */
  samples: Array<{ step: number; prompt: string; output: string }>;
  checkpoints: Array<{ step: number; path: string }>;
  end?: EndEvent;
  /** Peak resident memory seen in step events, in bytes. */
  peakRss: number;
}

export function emptyRunState(): RunState {
  return { status: 'starting', steps: [], evals: [], samples: [], checkpoints: [], peakRss: 0 };
}

/** Applies one event to the state, in place, and returns it (folding thousands of steps copies nothing). */
export function foldEvent(state: RunState, event: TrainerEvent): RunState {
  switch (event.type) {
    case 'started':
      // A resumed run continues from its checkpoint: what was logged after it is redone.
      if (event.resumedFromStep > 0 || state.started) keepUpTo(state, event.resumedFromStep);
      delete state.end;
      state.started = event;
      state.status = 'running';
      break;
    case 'step':
      state.steps.push({
        step: event.step, epoch: event.epoch, loss: event.loss, learningRate: event.learning_rate,
        gradNorm: event.grad_norm, tokensPerSecond: event.tokens_per_second, elapsedSeconds: event.elapsed_seconds, backendBytes: event.memory.backendBytes,
      });
      state.peakRss = Math.max(state.peakRss, event.memory.rss);
      break;
    case 'eval':
      state.evals.push({ step: event.step, epoch: event.epoch, loss: event.eval_loss });
      break;
    case 'sample':
      state.samples.push({ step: event.step, prompt: event.prompt, output: event.output });
      break;
    case 'checkpoint':
      state.checkpoints.push({ step: event.step, path: event.path });
      break;
    case 'completed':
    case 'stopped':
    case 'failed':
      state.end = event;
      state.status = event.type;
      break;
  }
  return state;
}

function keepUpTo(state: RunState, step: number): void {
  state.steps = state.steps.filter((point) => point.step <= step);
  state.evals = state.evals.filter((point) => point.step <= step);
  state.samples = state.samples.filter((sample) => sample.step <= step);
  state.checkpoints = state.checkpoints.filter((checkpoint) => checkpoint.step <= step);
}

/** The state of a whole event list (a replayed `events.ndjson`). */
export function foldEvents(events: readonly TrainerEvent[]): RunState {
  return events.reduce(foldEvent, emptyRunState());
}

/**
 * At most `maxPoints` points for drawing a curve of many steps: each bucket of consecutive points
 * keeps its first, its lowest and its highest point (in step order), so spikes stay visible and
 * the last point is always kept.
 */
export function downsample<T extends { step: number }>(points: readonly T[], value: (point: T) => number, maxPoints: number): T[] {
  if (points.length <= maxPoints) return [...points];
  const buckets = Math.max(1, Math.floor((maxPoints - 1) / 3));
  const size = (points.length - 1) / buckets;
  const kept: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let low = from;
    let high = from;
    for (let i = from; i < to; i++) {
      if (value(points[i]!) < value(points[low]!)) low = i;
      if (value(points[i]!) > value(points[high]!)) high = i;
    }
    for (const i of [...new Set([from, low, high])].sort((x, y) => x - y)) kept.push(points[i]!);
  }
  kept.push(points[points.length - 1]!);
  return kept;
}

/**
 * {@link downsample} for a curve that grows at its end, as a live run's does: buckets of a
 * power-of-two size are summarised once (first, lowest and highest point) and kept, so each new
 * point costs only its own bucket, not a pass over 100,000 points. The result is the same as
 * summarising the whole curve afresh with the same bucket size; when the curve outgrows its
 * bucket size (or is cut back, as a resume does) the sampler starts over with the right size.
 */
export class CurveSampler<T extends { step: number }> {
  private bucketSize = 0;
  private kept: T[] = [];
  /** Points summarised into `kept`, and the last of them (to notice a curve that was replaced). */
  private covered = 0;
  private lastCovered: T | undefined;

  constructor(private readonly value: (point: T) => number, private readonly maxPoints: number) {}

  sample(points: readonly T[]): T[] {
    if (points.length <= this.maxPoints) return [...points];
    const size = this.bucketSizeFor(points.length);
    if (size !== this.bucketSize || this.covered > points.length || (this.covered > 0 && points[this.covered - 1] !== this.lastCovered)) {
      this.bucketSize = size;
      this.kept = [];
      this.covered = 0;
    }
    // Whole buckets, except the last point, which is always drawn on its own.
    while (this.covered + size <= points.length - 1) {
      this.kept.push(...this.summarise(points, this.covered, this.covered + size));
      this.covered += size;
      this.lastCovered = points[this.covered - 1];
    }
    const tail = this.covered < points.length - 1 ? this.summarise(points, this.covered, points.length - 1) : [];
    return [...this.kept, ...tail, points[points.length - 1]!];
  }

  /** The smallest power of two whose buckets (three points each) fit in `maxPoints`. */
  private bucketSizeFor(count: number): number {
    const buckets = Math.max(1, Math.floor((this.maxPoints - 4) / 3));
    let size = 1;
    while (Math.ceil((count - 1) / size) > buckets) size *= 2;
    return size;
  }

  private summarise(points: readonly T[], from: number, to: number): T[] {
    let low = from;
    let high = from;
    for (let i = from + 1; i < to; i++) {
      if (this.value(points[i]!) < this.value(points[low]!)) low = i;
      if (this.value(points[i]!) > this.value(points[high]!)) high = i;
    }
    return [...new Set([from, low, high])].sort((a, b) => a - b).map((i) => points[i]!);
  }
}
