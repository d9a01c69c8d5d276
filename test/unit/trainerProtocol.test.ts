/** The trainer protocol: event and command guards, and replaying events.ndjson after a crash. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrainerCommand, isTrainerEvent, parseEvents, TRAINER_EVENT_TYPES } from '../../src/common/trainerProtocol';

test('commands are stop, or sample with an optional prompt; nothing else', () => {
  assert.ok(isTrainerCommand({ type: 'stop' }));
  assert.ok(isTrainerCommand({ type: 'sample' }));
  assert.ok(isTrainerCommand({ type: 'sample', prompt: 'Hi' }));
  for (const bad of [null, 'stop', { type: 'sample', prompt: 3 }, { type: 'pause' }, []]) assert.ok(!isTrainerCommand(bad), JSON.stringify(bad));
});

test('events.ndjson replays every complete event and skips a line torn by a crash', () => {
  const text = [
    JSON.stringify({ type: 'step', step: 1, loss: 2 }), '', JSON.stringify({ type: 'mystery' }),
    JSON.stringify({ type: 'completed', step: 1 }), '{"type": "step", "st',
  ].join('\n');
  assert.deepEqual(parseEvents(text).map((e) => e.type), ['step', 'completed']);
  assert.deepEqual([...TRAINER_EVENT_TYPES], ['started', 'step', 'eval', 'sample', 'checkpoint', 'completed', 'stopped', 'failed']);
  assert.ok(!isTrainerEvent({ type: 'mystery' }));
});
