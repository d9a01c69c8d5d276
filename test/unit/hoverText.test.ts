/** Hover previews and schema hovers: what the editor shows is what training sees, token for token. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareLine } from '../../src/dataset/example';
import { previewLine, previewMarkdown } from '../../src/dataset/hoverText';
import { completionContext, describeAt } from '../../src/dataset/schemaHover';
import { chat, contextFor, tokenizerFolder } from '../helpers';

/** The column of the caret in a fixture, and the fixture without it (as in yaml-language-server's hover tests). */
function caret(fixture: string): { line: string; column: number } {
  const column = fixture.indexOf('^');
  return { line: fixture.slice(0, column) + fixture.slice(column + 1), column };
}

test('the preview is the rendered text, cut into context and trained parts that match the trained mask', () => {
  const context = contextFor({ model: tokenizerFolder('llama3'), template: 'llama3' });
  const line = JSON.stringify(chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello!'], ['user', 'Bye'], ['assistant', 'Goodbye.']));
  const preview = previewLine(line, context);
  const prepared = prepareLine(line, context);
  assert.ok(preview.ok && prepared.ok);
  assert.equal(preview.segments.map((s) => s.text).join(''), prepared.rendered.text, 'segments tile the rendered text');
  assert.deepEqual(preview.segments.map((s) => s.kind), ['context', 'trained', 'context', 'trained']);
  assert.equal(preview.segments.filter((s) => s.kind === 'trained').reduce((n, s) => n + s.tokens!, 0), prepared.trainedTokens);
  assert.equal(preview.segments.reduce((n, s) => n + s.tokens!, 0), prepared.totalTokens);
  assert.equal(preview.segments[1]!.text, 'Hello!<|eot_id|>');
  const markdown = previewMarkdown(preview, true);
  assert.match(markdown, new RegExp(`template \`llama3\` · ${prepared.totalTokens} tokens, ${prepared.trainedTokens} trained · max_length 1024`));
  assert.ok(markdown.includes('<|start_header_id|>system<|end_header_id|>'), 'special tokens are visible');
  assert.equal((markdown.match(/\*\*▶ trained\*\*/g) ?? []).length, 2);
});

test('the preview shows where max_length cuts, and what it cuts', () => {
  const context = { ...contextFor({ model: tokenizerFolder('llama3'), template: 'llama3' }), maxLength: 20 };
  const line = JSON.stringify(chat(['user', 'Count to ten.'], ['assistant', 'one two three four five six seven eight nine ten']));
  const preview = previewLine(line, context);
  const prepared = prepareLine(line, context);
  assert.ok(preview.ok && prepared.ok);
  const cut = preview.segments[preview.segments.length - 1]!;
  assert.equal(cut.kind, 'cut');
  assert.equal(cut.tokens, prepared.truncatedFrom! - 20);
  assert.equal(preview.segments.map((s) => s.text).join(''), prepared.rendered.text);
  assert.match(previewMarkdown(preview, true), /cut by max_length 20/);
  assert.match(previewMarkdown(preview, true), /cuts \d+ trained/);
});

test('without a tokenizer the template\'s trained spans are shown; a broken line says why it cannot train', () => {
  const context = contextFor({ template: 'qwen2.5' });
  const preview = previewLine(JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello'])), context);
  assert.ok(preview.ok);
  assert.match(preview.segments.find((s) => s.kind === 'trained')!.text, /^Hello<\|im_end\|>/);
  assert.match(preview.segments[0]!.text, /<\|im_start\|>user\nHi<\|im_end\|>/);
  assert.match(previewMarkdown(preview, false), /no tokenizer/);
  const broken = previewLine(JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }), context);
  assert.ok(!broken.ok);
  assert.match(previewMarkdown(broken, false), /cannot train:\n- "messages" has no assistant message/);
});

test('a fence never closes early on backticks in the text', () => {
  const context = contextFor({ model: tokenizerFolder('llama3'), template: 'llama3' });
  const preview = previewLine(JSON.stringify(chat(['user', 'Show code'], ['assistant', '```js\nx\n```'])), context);
  assert.ok(preview.ok);
  assert.match(previewMarkdown(preview, true), /````text\n[^]*```js[^]*````/);
});

test('keys and role values are described from the record schema', () => {
  const onRole = caret('{"messages": [{"ro^le": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}');
  const role = describeAt(onRole.line, onRole.column)!;
  assert.match(role.markdown, /^\*\*role\*\*: Who speaks/);
  assert.equal(onRole.line.slice(role.start, role.end), '"role"');
  const onValue = caret('{"messages": [{"role": "user", "content": "Hi"}, {"role": "assis^tant", "content": "Hello"}]}');
  assert.match(describeAt(onValue.line, onValue.column)!.markdown, /^\*\*assistant\*\*: What the model learns to write/);
  const onMessages = caret('{"mess^ages": []}');
  assert.match(describeAt(onMessages.line, onMessages.column)!.markdown, /^\*\*messages\*\*: The conversation/);
  const inText = caret('{"messages": [{"role": "user", "content": "H^i"}]}');
  assert.equal(describeAt(inText.line, inText.column), undefined);
  assert.equal(describeAt('{"messages": [', 3), undefined);
});

test('completion knows whether a key of the record, a key of a message or a role is being typed', () => {
  assert.equal(completionContext('{"'), 'record-key');
  assert.equal(completionContext('{"messages": [{"role": "user", "content": "a"}], "'), 'record-key');
  assert.equal(completionContext('{"messages": [{"'), 'message-key');
  assert.equal(completionContext('{"messages": [{"role": "user", '), 'message-key');
  assert.equal(completionContext('{"messages": [{"role": "as'), 'role');
  assert.equal(completionContext('{"messages": [{"role": "user", "content": "he said {"'), undefined);
  assert.equal(completionContext('{"messages": [{"role": "user", "content": '), undefined);
  assert.equal(completionContext('{"tools": [{"'), undefined);
});
