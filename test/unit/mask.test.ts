/**
 * The trained-token mask on real chat templates and real tokenizers: Llama 3, Mistral, Phi-3,
 * Gemma 3 and two ChatML templates (Qwen3, SmolLM2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLine, type CheckContext } from '../../src/dataset/checkLine';
import { parseJson } from '../../src/dataset/json/parseJson';
import { locateContents, markTrainedTokens, promptBeforeLastReply, renderExample } from '../../src/dataset/mask';
import { ChatTemplate, type RenderResult } from '../../src/dataset/template';
import { catalogEntries } from '../../src/dataset/templateCatalog';
import { interpretRecord, type DatasetRecord } from '../../src/dataset/records';
import { chat, contextFor, tokenizerFolder } from '../helpers';

const TWO_TURNS = chat(['user', 'Define dog.'], ['assistant', 'A domesticated canine.'], ['user', 'And cat?'], ['assistant', 'A small feline.']);

function record(line: object): DatasetRecord {
  const parsed = parseJson(JSON.stringify(line));
  assert.ok(parsed.ok);
  const { record } = interpretRecord(parsed.value);
  assert.ok(record);
  return record;
}

/** The trained runs of an example, as text: per token with a tokenizer, else per character span. */
function trainedRuns(line: object, context: CheckContext): string[] {
  const rendered = renderExample(record(line), { template: context.template!, ...(context.template!.info.eosToken ? { eosToken: context.template!.info.eosToken } : {}) });
  assert.ok(rendered);
  assert.deepEqual(rendered.findings, []);
  if (!context.tokenizer) return rendered.spans.map((s) => rendered.text.slice(s.start, s.end));
  const encoded = context.tokenizer.encodeWithOffsets(rendered.text);
  const trained = markTrainedTokens(encoded, rendered.spans);
  const runs: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < encoded.ids.length; i++) {
    const text = rendered.text.slice(encoded.offsets[2 * i], encoded.offsets[2 * i + 1]);
    if (trained[i]) current = (current ?? '') + text;
    else if (current !== undefined) {
      runs.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) runs.push(current);
  return runs;
}

test('Llama 3: replies and <|eot_id|> are trained, headers are not', () => {
  const context = contextFor({ model: tokenizerFolder('llama3') });
  assert.deepEqual(trainedRuns(TWO_TURNS, context), ['A domesticated canine.<|eot_id|>', 'A small feline.<|eot_id|>']);
  const result = checkLine(JSON.stringify(TWO_TURNS), context);
  assert.deepEqual(result.findings, []);
  assert.equal(result.trainedTokens, 12);
});

test('Mistral (catalog template, Mistral tokenizer): replies and </s> are trained', () => {
  const context = contextFor({ model: tokenizerFolder('llama2'), template: 'mistral' });
  assert.deepEqual(trainedRuns(TWO_TURNS, context), ['A domesticated canine.</s>', 'A small feline.</s>']);
});

test('Phi-3 (catalog template alone): character spans through <|end|>', () => {
  const context = contextFor({ template: 'phi3' });
  assert.deepEqual(trainedRuns(TWO_TURNS, context), ['A domesticated canine.<|end|>', 'A small feline.<|end|>']);
});

test('Gemma 3: replies and <end_of_turn> are trained, the "model" header is not', () => {
  const context = contextFor({ model: tokenizerFolder('gemma3') });
  assert.deepEqual(trainedRuns(TWO_TURNS, context), ['A domesticated canine.<end_of_turn>', 'A small feline.<end_of_turn>']);
});

test('ChatML (SmolLM2 catalog template, Qwen3 tokenizer): replies and <|im_end|> are trained', () => {
  const context = contextFor({ model: tokenizerFolder('qwen3'), template: 'smollm2' });
  assert.deepEqual(trainedRuns(TWO_TURNS, context), ['A domesticated canine.<|im_end|>', 'A small feline.<|im_end|>']);
});

test('weight 0 leaves a reply untrained; all weights 0 is an empty mask', () => {
  const context = contextFor({ model: tokenizerFolder('llama3') });
  const line = { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'skip me', weight: 0 }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'learn me' }] };
  assert.deepEqual(trainedRuns(line, context), ['learn me<|eot_id|>']);
  const none = { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'skip me', weight: 0 }] };
  const result = checkLine(JSON.stringify(none), context);
  assert.deepEqual(result.findings.map((f) => f.code), ['mask/empty']);
});

test('conversational prompt/completion trains only the completion', () => {
  const context = contextFor({ model: tokenizerFolder('llama3') });
  const line = { prompt: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'in the prompt' }, { role: 'user', content: 'Again' }], completion: [{ role: 'assistant', content: 'Completion.' }] };
  assert.deepEqual(trainedRuns(line, context), ['Completion.<|eot_id|>']);
});

test('string prompt/completion and text records get EOS appended, as TRL does', () => {
  const context = contextFor({ model: tokenizerFolder('llama2') });
  const rendered = renderExample(record({ prompt: 'Q: 2+2?', completion: ' A: 4' }), { eosToken: '</s>' })!;
  assert.equal(rendered.text, 'Q: 2+2? A: 4</s>');
  assert.deepEqual(rendered.spans, [{ start: 7, end: 16 }]);
  const result = checkLine(JSON.stringify({ text: 'Hello world' }), context);
  assert.equal(result.trainedTokens, result.tokens);
});

test('Qwen3 drops <think> reasoning from earlier turns: reported, and the later rendering is trained', () => {
  const context = contextFor({ model: tokenizerFolder('qwen3') });
  const line = chat(['user', 'Define dog.'], ['assistant', '<think>a canine</think>\n\nA domesticated canine.'], ['user', 'And cat?'], ['assistant', 'A small feline.']);
  const result = checkLine(JSON.stringify(line), context);
  const dropped = result.findings.find((f) => f.code === 'template/reasoning-dropped');
  assert.ok(dropped, result.findings.map((f) => f.code).join());
  assert.equal(JSON.stringify(line).slice(dropped.start, dropped.end), JSON.stringify('<think>a canine</think>\n\nA domesticated canine.'));
  const rendered = renderExample(record(line), { template: context.template! })!;
  assert.equal(rendered.text.slice(rendered.spans[0]!.start, rendered.spans[0]!.end), 'A domesticated canine.<|im_end|>');
});

test('the last reply\'s prompt read off the whole rendering equals the prompt rendered with add_generation_prompt, over the whole catalog', () => {
  const conversations: Array<Array<{ role: string; content: string }>> = [
    [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello there.' }],
    [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }],
    [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: '  A2 with spaces  ' }],
    [{ role: 'user', content: 'Say assistant' }, { role: 'assistant', content: 'assistant' }],
    [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hi' }],
  ];
  let fast = 0;
  for (const entry of catalogEntries()) {
    const compiledOrError = ChatTemplate.compile(entry.info);
    if ('error' in compiledOrError) continue;
    const compiled: ChatTemplate = compiledOrError;
    for (const messages of conversations) {
      const conversation = compiled.prepare(messages);
      const whole: RenderResult = compiled.renderPrefix(conversation, messages.length, false);
      const prompt: RenderResult = compiled.renderPrefix(conversation, messages.length - 1, true);
      if (!whole.ok || !prompt.ok) continue;
      const read = promptBeforeLastReply(compiled, whole.text, locateContents(messages.map((m) => ({ ...m, value: m, trained: m.role === 'assistant', span: { start: 0, end: 0 }, roleSpan: { start: 0, end: 0 }, contentSpan: { start: 0, end: 0 } })), whole.text), messages.length - 1);
      if (read === undefined) continue;
      fast++;
      // Where the rendered prompt is not a prefix (history rewritten), the reply is located by its text.
      const expected: string = whole.text.startsWith(prompt.text) ? prompt.text : whole.text.slice(0, whole.text.lastIndexOf(messages[messages.length - 1]!.content.trim()));
      assert.equal(read, expected, `${entry.name}: ${JSON.stringify(messages)}`);
    }
  }
  assert.ok(fast > 200, `the prompt was read off the rendering ${fast} times`);
});
