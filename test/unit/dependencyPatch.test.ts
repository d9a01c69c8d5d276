/**
 * The patch scripts/patchDependencies.mjs applies to @huggingface/jinja at install time: it is in
 * place in the library the product loads, and the interpreter still reads each value's type.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Environment, Template } from '@huggingface/jinja';
import { ROOT } from '../helpers';

interface PatchModule { patchJinjaBundle(source: string): string | undefined }

const loadPatch = async (): Promise<PatchModule> => await import(path.join(ROOT, 'scripts', 'patchDependencies.mjs')) as PatchModule;

test('the installed @huggingface/jinja has its runtime values\' type on the prototype, not defined per value', () => {
  const env = new Environment();
  env.set('text', 'hello');
  env.set('list', [1, 'two']);
  for (const [name, type] of [['text', 'StringValue'], ['list', 'ArrayValue']] as const) {
    const value = env.lookupVariable(name) as unknown as { type: string; value: unknown };
    assert.equal(value.type, type);
    assert.equal(Object.hasOwn(value, 'type'), false, 'run `npm run build` (or `npm ci`) to apply the patch');
  }
});

test('the patched interpreter still tells values apart by type (tests, filters, tojson)', () => {
  const template = new Template('{{ a is string }} {{ b is string }} {{ b is iterable }} {{ c is none }} {{ b | length }} {{ d | tojson }} {{ a | upper }}');
  assert.equal(template.render({ a: 'x', b: [1, 2, 3], c: null, d: { k: [true, 1.5] } }), 'true false true true 3 {"k": [true, 1.5]} X');
});

test('the patch is idempotent on the installed bundles and leaves code it does not recognise alone', async () => {
  const { patchJinjaBundle } = await loadPatch();
  for (const name of ['index.js', 'index.cjs']) {
    const installed = fs.readFileSync(path.join(ROOT, 'node_modules', '@huggingface', 'jinja', 'dist', name), 'utf8');
    assert.equal(patchJinjaBundle(installed), installed);
  }
  assert.equal(patchJinjaBundle('class RuntimeValue {\n  type = "RuntimeValue";\n  value;\n}\n'), undefined);
});
