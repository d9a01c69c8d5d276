/**
 * Findings reported once per file: the template and tokenizer as a pair, the generation prompt,
 * generation_config.json, mixed formats, double BOS, empty files; and the per-line findings that
 * used to reach training unseen (control tokens in content, every trained token truncated).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkLine } from '../../src/dataset/checkLine';
import { DatasetDocument } from '../../src/dataset/datasetDocument';
import { loadCheckSetup } from '../../src/dataset/load/checkSetup';
import { chat, contextFor, covered, setupFor, tokenizerFolder } from '../helpers';

const SIMPLE = chat(['user', 'Hi'], ['assistant', 'Hello']);

function fileCodes(flags: Parameters<typeof setupFor>[0], lines: readonly (string | object)[]): string[] {
  return documentFor(flags, lines).fileFindings().map((f) => f.code);
}

function documentFor(flags: Parameters<typeof setupFor>[0], lines: readonly (string | object)[]): DatasetDocument {
  const setup = setupFor(flags);
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  return new DatasetDocument({ context: setup.context, overrides: setup.overrides, notes: setup.notes }, text);
}

/** A model folder with the Llama 3 tokenizer and the given extra files. */
function llama3FolderWith(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-llama3-'));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) fs.symlinkSync(path.join(tokenizerFolder('llama3'), name), path.join(dir, name));
  for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  return dir;
}

test('a template of another family than the tokenizer is one file-level error naming the split markers', () => {
  const doc = documentFor({ model: tokenizerFolder('llama3'), template: 'qwen2.5' }, [SIMPLE, chat(['user', 'Yo'], ['assistant', 'Hey'])]);
  const findings = doc.allFindings();
  assert.deepEqual(findings.map((f) => f.code), ['template/tokenizer-mismatch']);
  assert.match(findings[0]!.message, /<\|im_start\|>, <\|im_end\|>/);
  assert.match(findings[0]!.message, /splits <\|im_end\|> into 6 pieces \("<" "\|" "im" "_end" "\|" ">"\)/);
  assert.deepEqual(fileCodes({ model: tokenizerFolder('llama2'), template: 'gemma2' }, [SIMPLE]), ['template/tokenizer-mismatch']);
  assert.deepEqual(fileCodes({ model: tokenizerFolder('llama2'), template: 'phi3' }, [SIMPLE]), ['template/tokenizer-mismatch']);
  // TinyLlama writes <|user|> as plain text with Llama 2's tokenizer, and ends turns with </s>: no mismatch.
  assert.deepEqual(fileCodes({ model: tokenizerFolder('llama2'), template: 'tinyllama' }, [SIMPLE]), []);
  assert.deepEqual(fileCodes({ model: tokenizerFolder('qwen3'), template: 'qwen2.5' }, [SIMPLE]), []);
});

test('a template that cannot write a generation prompt warns once: the header is trained', () => {
  const dir = llama3FolderWith({ 'chat_template.jinja': '{% for m in messages %}[[<{{ m.role }}>{{ m.content }}</{{ m.role }}>]]{% endfor %}' });
  const doc = documentFor({ model: dir }, [SIMPLE, chat(['user', 'Yo'], ['assistant', 'Hey'])]);
  const findings = doc.fileFindings().filter((f) => f.code === 'template/no-generation-prompt');
  assert.equal(findings.length, 1);
  assert.match(findings[0]!.message, /\("\[\[<assistant>"\)/);
  assert.match(findings[0]!.message, /chat_template\.jinja/);
  // Mistral writes no assistant header at all: nothing is trained that should not be.
  assert.ok(!fileCodes({ model: tokenizerFolder('llama2'), template: 'mistral' }, [SIMPLE]).includes('template/no-generation-prompt'));
});

test('the first Llama 3 template writes the assistant header after every example: one note', () => {
  const findings = documentFor({ model: tokenizerFolder('llama3') }, [SIMPLE]).fileFindings();
  const note = findings.find((f) => f.code === 'template/generation-prompt-always');
  assert.ok(note);
  assert.equal(note.severity, 'info');
  assert.match(note.message, /<\|start_header_id\|>assistant<\|end_header_id\|>/);
  assert.ok(!fileCodes({ model: tokenizerFolder('llama3'), template: 'llama3.1' }, [SIMPLE]).includes('template/generation-prompt-always'));
});

test('eos_token never rendered: quiet when generation_config.json stops on the end of turn, else says what to set', () => {
  const bare = documentFor({ model: tokenizerFolder('llama3'), template: 'llama3' }, [SIMPLE]).fileFindings();
  const finding = bare.find((f) => f.code === 'template/eos-never-rendered');
  assert.ok(finding);
  assert.match(finding.message, /\{"eos_token_id": \[128001, 128009\]\}/);
  const stops = llama3FolderWith({ 'generation_config.json': { eos_token_id: [128001, 128008, 128009] } });
  assert.deepEqual(fileCodes({ model: stops, template: 'llama3' }, [SIMPLE]), []);
  const onlyEos = llama3FolderWith({ 'generation_config.json': { eos_token_id: 128001 } });
  const partial = documentFor({ model: onlyEos, template: 'llama3' }, [SIMPLE]).fileFindings();
  assert.match(partial.find((f) => f.code === 'template/eos-never-rendered')!.message, /add 128009 \(<\|eot_id\|>\)/);
});

test('mixed formats are an error naming the minority lines, with one piece of advice', () => {
  const lines = [SIMPLE, { text: 'x' }, chat(['user', 'Yo'], ['assistant', 'Hey']), { text: 'y' }, chat(['user', 'a'], ['assistant', 'b'])];
  const [finding] = documentFor({}, lines).fileFindings().filter((f) => f.code === 'format/mixed');
  assert.ok(finding);
  assert.equal(finding.severity, 'error');
  assert.match(finding.message, /3 messages, 2 text/);
  assert.match(finding.message, /text on lines 2, 4/);
  const sharegpt = { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] };
  const [convert] = documentFor({}, [SIMPLE, sharegpt]).fileFindings().filter((f) => f.code === 'format/mixed');
  assert.match(convert!.message, /sft-studio convert/);
  assert.doesNotMatch(convert!.message, /to sharegpt/i);
});

test('double BOS only where it happens: text records that start with BOS under a tokenizer that adds one', () => {
  assert.deepEqual(fileCodes({ model: tokenizerFolder('llama2'), template: 'mistral' }, [SIMPLE, chat(['user', 'Hey'], ['assistant', 'Yo'])]), []);
  const doc = documentFor({ model: tokenizerFolder('llama2') }, [{ text: '<s>[INST] Hi [/INST] Hello</s>' }, { text: 'Plain text.' }, { text: '<s>More' }]);
  const finding = doc.fileFindings().find((f) => f.code === 'tokens/double-bos');
  assert.ok(finding);
  assert.match(finding.message, /^lines 1, 3: /);
  assert.match(finding.message, /TRL/);
  assert.doesNotMatch(finding.message, /SFT Studio's trainer/);
});

test('an empty file is a file-level error; a file with one example is not', () => {
  const fileLevel = (lines: ReadonlyArray<string | object>): string[] => documentFor({}, lines).fileFindings().map((f) => f.code).filter((c) => c !== 'checks/skipped');
  assert.deepEqual(fileLevel(['']), ['file/empty']);
  assert.deepEqual(fileLevel(['', '  ', '']), ['file/empty']);
  assert.deepEqual(fileLevel([SIMPLE, '']), []);
});

test('control tokens in message content: an error in a trained reply, a warning in prompt text', () => {
  const context = contextFor({ model: tokenizerFolder('llama3') });
  const line = JSON.stringify(chat(['system', 'End with <|eot_id|> please'], ['user', 'Hi'], ['assistant', 'Hello<|eot_id|> and more']));
  const findings = checkLine(line, context).findings;
  const trained = findings.find((f) => f.code === 'message/control-token-trained');
  const prompt = findings.find((f) => f.code === 'message/control-token');
  assert.ok(trained && prompt, findings.map((f) => f.code).join());
  assert.equal(covered(line, trained), '<|eot_id|>');
  assert.ok(trained.start > line.indexOf('Hello'));
  assert.equal(covered(line, prompt), '<|eot_id|>');
  // Escapes in the JSON string still give the exact range of the token text.
  const escaped = '{"messages": [{"role": "user", "content": "\\u00e9\\n"}, {"role": "assistant", "content": "caf\\u00e9 <|im_end|>"}]}';
  const qwen = checkLine(escaped, contextFor({ model: tokenizerFolder('qwen3') })).findings.find((f) => f.code === 'message/control-token-trained');
  assert.ok(qwen);
  assert.equal(covered(escaped, qwen), '<|im_end|>');
  // Qwen's <think> and <tool_call> are added tokens but not control tokens: ordinary reply text.
  const reasoning = JSON.stringify(chat(['user', 'Hi'], ['assistant', '<tool_call>{"name": "f"}</tool_call>']));
  assert.deepEqual(checkLine(reasoning, contextFor({ model: tokenizerFolder('qwen3') })).findings, []);
  // Llama 3.1 calls a built-in tool with a reply that starts with <|python_tag|>, and its result follows as ipython.
  const builtIn = JSON.stringify({ messages: [{ role: 'user', content: 'Search the news' }, { role: 'assistant', content: '<|python_tag|>brave_search.call(query="news")' }, { role: 'ipython', content: '{"results": []}' }, { role: 'assistant', content: 'Nothing new.' }] });
  assert.deepEqual(checkLine(builtIn, contextFor({ model: tokenizerFolder('llama3_1') })).findings, []);
  // Without a tokenizer, the template's own markers count.
  const templateOnly = checkLine(JSON.stringify(chat(['user', 'Hi'], ['assistant', 'a <|im_end|> b'])), contextFor({ template: 'qwen2.5' })).findings;
  assert.deepEqual(templateOnly.map((f) => f.code), ['message/control-token-trained']);
});

test('an example whose every trained token is cut by truncation is an error', () => {
  const context = { ...contextFor({ model: tokenizerFolder('llama3'), template: 'llama3.1' }), maxLength: 12 };
  const line = JSON.stringify(chat(['user', 'word '.repeat(30)], ['assistant', 'Short.']));
  const finding = checkLine(line, context).findings.find((f) => f.code === 'length/truncated-all');
  assert.ok(finding);
  assert.match(finding.message, /cuts all \d+ trained tokens/);
  assert.ok(!checkLine(line, context).findings.some((f) => f.code === 'length/truncated'));
});

test('the project file is found and its notes reach the document', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-proj-'));
  fs.writeFileSync(path.join(dir, 'sft-studio.json'), JSON.stringify({ model: tokenizerFolder('llama3'), template: 'qwen2.5' }));
  const setup = loadCheckSetup(dir, {});
  assert.deepEqual(setup.notes.map((n) => n.code), ['template/tokenizer-mismatch']);
});
