/** File statistics: counts, the histogram, and the longest examples the statistics view links to. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { StatisticsCollector } from '../../src/dataset/stats';
import { chat, contextFor, tokenizerFolder } from '../helpers';

test('the ten longest examples are kept, longest first, with their lines', () => {
  const collector = new StatisticsCollector(100);
  const lengths = [5, 300, 40, 41, 7, 99, 120, 3, 64, 65, 8, 250, 1, 77];
  lengths.forEach((tokens, line) => collector.add({ format: 'messages', findings: [], tokens, trainedTokens: 1 }, line));
  const stats = collector.summary();
  assert.deepEqual(stats.longest.map((e) => e.tokens), [...lengths].sort((a, b) => b - a).slice(0, 10));
  assert.equal(stats.longest[0]!.line, 1);
  assert.equal(stats.overMaxLength, 3);
  assert.equal(stats.histogram.reduce((n, b) => n + b.examples, 0), lengths.length);
});

test('a document\'s statistics count its checked lines with the real tokenizer', () => {
  const context = contextFor({ model: tokenizerFolder('llama3'), template: 'llama3' });
  const short = JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello']));
  const long = JSON.stringify(chat(['user', 'Tell me a long story.'], ['assistant', 'Once upon a time '.repeat(40)]));
  const doc = new DatasetDocument({ context }, [short, long, short.replace('Hello', 'Hello there, my friend'), ''].join('\n'));
  const stats = doc.statistics();
  assert.equal(stats.examples, 3);
  assert.equal(stats.tokenizedExamples, 3);
  assert.deepEqual(stats.longest.map((e) => e.line), [1, 2, 0]);
  assert.equal(stats.tokens, stats.longest.reduce((n, e) => n + e.tokens, 0));
  assert.equal(stats.trainedTokens, stats.longest.reduce((n, e) => n + e.trainedTokens, 0));
});
