/** The run reducer: what the run panel shows is the fold of the run folder's events, live or replayed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsample, emptyRunState, foldEvent, foldEvents } from '../../src/common/runReducer';
import { parseEvents, TRAINER_PROTOCOL_VERSION, type TrainerEvent } from '../../src/common/trainerProtocol';

const started: TrainerEvent = {
  type: 'started', protocol: TRAINER_PROTOCOL_VERSION, time: '2026-11-29T00:00:00Z', backend: 'wasm', backendSkipped: [{ name: 'webgpu', reason: 'no adapter' }],
  trainableParameters: 1000, totalParameters: 100000, dataset: { examples: 10, skipped: 0, trainedTokens: 500, tokens: 900 }, totalSteps: 4, resumedFromStep: 0,
};
const step = (n: number, loss: number, rss = 100): TrainerEvent => ({
  type: 'step', step: n, epoch: n / 2, loss, learning_rate: 1e-3, grad_norm: 1, tokens_per_second: 50, trained_tokens: n * 100, memory: { rss, backendBytes: 0 }, elapsed_seconds: n,
});

test('events fold into the run state, in order, and a replay of the file gives the same state', () => {
  const events: TrainerEvent[] = [
    started, step(1, 3.5, 100), step(2, 2.5, 300), { type: 'eval', step: 2, epoch: 1, eval_loss: 2.7 },
    { type: 'sample', step: 2, prompt: 'Hello!', output: '<b>G\'day</b>' }, { type: 'checkpoint', step: 2, path: 'checkpoint-2' },
    step(3, 1.5, 200), { type: 'stopped', step: 3, adapter: 'final', skippedExamples: 0, elapsed_seconds: 3 },
  ];
  const live = emptyRunState();
  assert.equal(live.status, 'starting');
  foldEvent(live, events[0]!);
  assert.equal(live.status, 'running');
  for (const event of events.slice(1)) foldEvent(live, event);
  assert.equal(live.status, 'stopped');
  assert.deepEqual(live.steps.map((s) => s.loss), [3.5, 2.5, 1.5]);
  assert.deepEqual(live.evals, [{ step: 2, epoch: 1, loss: 2.7 }]);
  assert.equal(live.samples[0]!.output, '<b>G\'day</b>', 'model output is kept as text, as written');
  assert.equal(live.end?.adapter, 'final');
  assert.equal(live.peakRss, 300);
  // A torn last line (a crash mid-write) does not change what was recorded before it.
  const file = `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"type": "step", "ste`;
  assert.deepEqual(foldEvents(parseEvents(file)), live);
});

test('downsampling keeps at most the asked points, the last point, and every spike', () => {
  const points = Array.from({ length: 100_000 }, (_, i) => ({ step: i + 1, loss: i === 54_321 ? 99 : 10 - i / 20_000 }));
  const kept = downsample(points, (p) => p.loss, 2000);
  assert.ok(kept.length <= 2000, `${kept.length} points`);
  assert.equal(kept[kept.length - 1]!.step, 100_000);
  assert.equal(kept[0]!.step, 1);
  assert.ok(kept.some((p) => p.loss === 99), 'the spike is drawn');
  assert.ok(kept.every((p, i) => i === 0 || p.step > kept[i - 1]!.step), 'in step order');
  assert.equal(downsample(points.slice(0, 10), (p) => p.loss, 2000).length, 10);
});

test('a growing curve is sampled incrementally, the same as afresh, with its extremes and its last point kept', async () => {
  const { CurveSampler } = await import('../../src/common/runReducer');
  let seed = 7;
  const noise = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const points = Array.from({ length: 100_000 }, (_, i) => ({ step: i + 1, loss: 5 * Math.exp(-i / 20000) + noise() }));
  points[61_234]!.loss = 40; // a spike
  const live = new CurveSampler<{ step: number; loss: number }>((p) => p.loss, 3000);
  let sampled: Array<{ step: number; loss: number }> = [];
  for (let n = 2900; n <= points.length; n += 997) sampled = live.sample(points.slice(0, n));
  sampled = live.sample(points);
  const fresh = new CurveSampler<{ step: number; loss: number }>((p) => p.loss, 3000).sample(points);
  assert.deepEqual(sampled, fresh, 'incremental sampling equals sampling the whole curve');
  assert.ok(sampled.length <= 3000, `${sampled.length} points`);
  assert.ok(sampled.some((p) => p.loss === 40), 'the spike is drawn');
  assert.equal(sampled[sampled.length - 1], points[points.length - 1]);
  assert.ok(sampled.every((p, i) => i === 0 || p.step > sampled[i - 1]!.step), 'in step order, no repeats');
  const min = points.reduce((a, b) => (b.loss < a.loss ? b : a));
  assert.ok(sampled.includes(min), 'the lowest point is drawn');
  // A curve cut back (a resume from a checkpoint) is sampled afresh.
  const cut = points.slice(0, 50_000).map((p) => ({ ...p }));
  assert.deepEqual(live.sample(cut), new CurveSampler<{ step: number; loss: number }>((p) => p.loss, 3000).sample(cut));
});
