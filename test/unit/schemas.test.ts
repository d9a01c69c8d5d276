/** The JSON schemas stay in step with the checker they describe. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { validateProjectSettings } from '../../src/common/projectFile';
import { LINEAR_MODULES, PROJECT_KEYS, TRAIN_SECTIONS, type FieldSpec } from '../../src/common/trainConfig';
import { KNOWN_ROLES } from '../../src/dataset/checks/messageRules';
import { isRuleCode, RULES } from '../../src/dataset/rules';
import { ROOT } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- schema documents are walked by known paths
type SchemaDocument = Record<string, any>;
const read = (name: string): SchemaDocument => JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', name), 'utf8')) as SchemaDocument;

test('the record schema lists the roles the checker accepts', () => {
  assert.deepEqual(read('sft-record.schema.json')['$defs'].message.properties.role.enum, KNOWN_ROLES);
});

test('the project schema lists every rule code, and the validator agrees with it', () => {
  const schema = read('sft-studio.schema.json');
  assert.deepEqual(schema['properties'].rules.propertyNames.enum, Object.keys(RULES));
  assert.deepEqual(Object.keys(schema['properties']).sort(), [...PROJECT_KEYS].sort());
  assert.equal(schema['additionalProperties'], false);
});

/** The JSON schema of one training setting, as the table in src/common/trainConfig.ts defines it. */
function fieldSchema(spec: FieldSpec): Record<string, unknown> {
  const base = { description: spec.description, default: spec.default };
  switch (spec.kind) {
    case 'integer': return { type: spec.nullable ? ['integer', 'null'] : 'integer', minimum: spec.min, ...(spec.max !== undefined ? { maximum: spec.max } : {}), ...base };
    case 'number': return { type: 'number', ...(spec.exclusiveMin ? { exclusiveMinimum: spec.min } : { minimum: spec.min }), ...(spec.max !== undefined ? { maximum: spec.max } : {}), ...base };
    case 'boolean': return { type: 'boolean', ...base };
    case 'enum': return { enum: spec.values, ...base };
    case 'strings': return { type: 'array', items: { type: 'string' }, ...base };
    case 'modules': return { anyOf: [{ const: 'all-linear' }, { type: 'array', minItems: 1, uniqueItems: true, items: { enum: LINEAR_MODULES } }], ...base };
  }
}

test('the project schema describes every training setting with its type, bounds, default and description', () => {
  const properties = read('sft-studio.schema.json')['properties'];
  for (const [section, fields] of Object.entries(TRAIN_SECTIONS)) {
    assert.equal(properties[section].additionalProperties, false);
    assert.deepEqual(Object.keys(properties[section].properties), Object.keys(fields), section);
    for (const [key, spec] of Object.entries(fields)) {
      assert.deepEqual(properties[section].properties[key], JSON.parse(JSON.stringify(fieldSchema(spec as FieldSpec))), `${section}.${key}`);
    }
  }
});

test('project file validation names each bad value', () => {
  const result = validateProjectSettings({ model: 3, max_length: 0, rules: { 'length/truncated': 'loud', 'no/such': 'off' } }, isRuleCode);
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    '"model" must be a non-empty string, not 3',
    '"max_length" must be a positive whole number of tokens, not 0',
    '"rules.length/truncated" must be "off", "info", "warning" or "error", not "loud"',
    '"rules" names an unknown rule "no/such"',
  ]);
  assert.ok(!validateProjectSettings([], isRuleCode).ok);
  const typo = validateProjectSettings({ modle: './m', training: { lerning_rate: 1 } }, isRuleCode);
  assert.deepEqual(typo, { ok: false, errors: ['"modle" is not a setting: did you mean "model"?', '"training.lerning_rate" is not a setting: did you mean "learning_rate"?'] });
  const ok = validateProjectSettings({ model: './m', template: 'llama3', max_length: 2048, rules: { 'length/truncated': 'off' }, training: { num_train_epochs: 3 } }, isRuleCode);
  assert.deepEqual(ok, { ok: true, settings: { model: './m', template: 'llama3', max_length: 2048, rules: { 'length/truncated': 'off' } } });
});
