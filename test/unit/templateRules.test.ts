/** Template, mask, length and file-level rules, and the template catalog. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLine, type CheckContext } from '../../src/dataset/checkLine';
import { parseJson } from '../../src/dataset/json/parseJson';
import { markTrainedTokens, renderExample } from '../../src/dataset/mask';
import { interpretRecord } from '../../src/dataset/records';
import { ChatTemplate, strftime, type TemplateInfo } from '../../src/dataset/template';
import { catalogEntries, findCatalogTemplate } from '../../src/dataset/templateCatalog';
import { chat, contextFor, tokenizerFolder } from '../helpers';

function templateContext(source: string, extra: Partial<TemplateInfo> = {}, limits?: { timeMs: number; maxChars: number }): CheckContext {
  const compiled = ChatTemplate.compile({ name: 'test', source, specialTokens: [], ...extra }, limits);
  assert.ok(!('error' in compiled));
  return { template: compiled, maxLength: 1024 };
}

const SIMPLE = chat(['user', 'Hi'], ['assistant', 'Hello']);

test('a template that raises is a finding quoting its own message', () => {
  const context = contextFor({ template: 'gemma2' });
  const line = JSON.stringify(chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello']));
  const finding = checkLine(line, context).findings.find((f) => f.code === 'template/raised');
  assert.ok(finding);
  assert.match(finding.message, /"System role not supported"/);
  assert.equal(line.slice(finding.start, finding.end), line.slice(line.indexOf('{"role"'), line.lastIndexOf('}]') + 1));
  assert.deepEqual(checkLine(JSON.stringify(SIMPLE), context).findings, []);
});

test('strict alternation templates reject two user turns in a row', () => {
  const context = contextFor({ template: 'mistral' });
  const result = checkLine(JSON.stringify(chat(['user', 'a'], ['user', 'b'], ['assistant', 'c'])), context);
  assert.ok(result.findings.some((f) => f.code === 'template/raised' && /alternate/.test(f.message)));
});

test('runaway templates are stopped by the time and size limits', () => {
  const loop = templateContext('{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}', {}, { timeMs: 200, maxChars: 10_000_000 });
  const started = Date.now();
  const slow = checkLine(JSON.stringify(SIMPLE), loop).findings;
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(slow.map((f) => f.code), ['template/limit']);
  const huge = templateContext('{{ range(1000000000) | length }}', {}, { timeMs: 2000, maxChars: 1_000_000 });
  assert.deepEqual(checkLine(JSON.stringify(SIMPLE), huge).findings.map((f) => f.code), ['template/limit']);
  const growing = templateContext("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}", {}, { timeMs: 5000, maxChars: 1_000_000 });
  assert.deepEqual(checkLine(JSON.stringify(SIMPLE), growing).findings.map((f) => f.code), ['template/limit']);
});

test('a syntax error in a template is reported when it is compiled', () => {
  const compiled = ChatTemplate.compile({ name: 'broken', source: '{% for m in messages %}', specialTokens: [] });
  assert.ok('error' in compiled);
  assert.match(compiled.error, /broken/);
});

test('a reply with no end-of-turn after it is mask/eos-untrained', () => {
  const open = templateContext("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% if m.role != 'assistant' %}<|end|>{% endif %}{% endfor %}", { specialTokens: ['<|end|>'] });
  const line = JSON.stringify(SIMPLE);
  const finding = checkLine(line, open).findings.find((f) => f.code === 'mask/eos-untrained');
  assert.ok(finding);
  assert.equal(line.slice(finding.start, finding.end), '"Hello"');
  const closed = templateContext('{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}', { specialTokens: ['<|end|>'] });
  assert.deepEqual(checkLine(line, closed).findings, []);
});

test('truncation that cuts trained tokens is length/truncated with the count lost', () => {
  const context = { ...contextFor({ model: tokenizerFolder('llama3') }), maxLength: 20 };
  const line = JSON.stringify(chat(['user', 'Define dog.'], ['assistant', 'A domesticated carnivorous mammal that typically has a long snout and an acute sense of smell.']));
  const result = checkLine(line, context);
  const finding = result.findings.find((f) => f.code === 'length/truncated');
  assert.ok(finding, result.findings.map((f) => f.code).join());
  const parsed = parseJson(line);
  assert.ok(parsed.ok);
  const rendered = renderExample(interpretRecord(parsed.value).record!, { template: context.template! })!;
  const trained = markTrainedTokens(context.tokenizer!.encodeWithOffsets(rendered.text), rendered.spans);
  const cut = trained.slice(20).reduce((n, t) => n + t, 0);
  assert.ok(cut > 0);
  assert.match(finding.message, new RegExp(`cuts ${cut} of ${result.trainedTokens} trained tokens`));
  assert.ok(line.slice(finding.start, finding.end).startsWith('"A domesticated'));
  const untrainedTail = JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello'], ['user', 'word '.repeat(40)]));
  assert.ok(checkLine(untrainedTail, context).findings.some((f) => f.code === 'length/over-max'));
  assert.ok(!checkLine(JSON.stringify(SIMPLE), context).findings.some((f) => f.code.startsWith('length/')));
});

test('text records with another model family\'s special tokens', () => {
  const context = contextFor({ model: tokenizerFolder('llama3') });
  const line = JSON.stringify({ text: '<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>' });
  const findings = checkLine(line, context).findings.filter((f) => f.code === 'template/foreign-tokens');
  assert.equal(findings.length, 3);
  assert.equal(line.slice(findings[0]!.start, findings[0]!.end), '<|user|>');
  assert.match(findings[1]!.message, /phi3/);
  assert.deepEqual(checkLine(JSON.stringify({ text: '<|begin_of_text|>Hello' }), context).findings, []);
});

test('the catalog holds real templates under the names people type', () => {
  for (const name of ['llama3', 'llama3.1', 'llama3.2', 'mistral', 'qwen2.5', 'qwen3', 'phi3', 'gemma2', 'gemma3', 'smollm2', 'tinyllama']) {
    const entry = findCatalogTemplate(name);
    assert.ok(entry, name);
    const compiled = ChatTemplate.compile(entry.info);
    assert.ok(!('error' in compiled), name);
    const rendered = compiled.render({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], add_generation_prompt: false });
    assert.ok(rendered.ok && rendered.text.includes('Hello'), name);
  }
  assert.ok(findCatalogTemplate('llama3.1:8b'));
  assert.ok(catalogEntries().length > 80);
  assert.equal(findCatalogTemplate('no-such-model'), undefined);
});

test('strftime_now formats dates as Python does for the formats templates use', () => {
  assert.equal(strftime(new Date(2024, 6, 26), '%d %b %Y'), '26 Jul 2024');
  assert.equal(strftime(new Date(2024, 0, 5), '%Y-%m-%d %A %%'), '2024-01-05 Friday %');
});
