/** The JSON schemas stay in step with the checker they describe. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { validateProjectSettings } from '../../src/common/projectFile';
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
  assert.deepEqual(Object.keys(schema['properties']).sort(), ['max_length', 'model', 'rules', 'template']);
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
  const ok = validateProjectSettings({ model: './m', template: 'llama3', max_length: 2048, rules: { 'length/truncated': 'off' }, num_train_epochs: 3 }, isRuleCode);
  assert.deepEqual(ok, { ok: true, settings: { model: './m', template: 'llama3', max_length: 2048, rules: { 'length/truncated': 'off' } } });
});
