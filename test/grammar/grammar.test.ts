/** The TextMate grammar, tokenized with the engine VS Code uses (vscode-textmate + oniguruma). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, type IGrammar, type StateStack } from 'vscode-textmate';
import { ROOT } from '../helpers';

async function loadGrammar(): Promise<IGrammar> {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => JSON.parse(fs.readFileSync(path.join(ROOT, 'syntaxes', 'sft-jsonl.tmLanguage.json'), 'utf8')),
  });
  const grammar = await registry.loadGrammar('source.sft-jsonl');
  assert.ok(grammar);
  return grammar;
}

/** Scopes of each token of each line, as "text: innermost scope". */
function tokenize(grammar: IGrammar, lines: string[]): string[][] {
  let state: StateStack = INITIAL;
  return lines.map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((t) => `${line.slice(t.startIndex, t.endIndex)}: ${t.scopes[t.scopes.length - 1]}`);
  });
}

test('roles, keys, special tokens and escapes get their own scopes', async () => {
  const grammar = await loadGrammar();
  const [tokens] = tokenize(grammar, ['{"messages": [{"role": "assistant", "content": "Hi<|eot_id|>\\n"}]}']);
  assert.ok(tokens!.includes('"messages": support.type.property-name.json'));
  assert.ok(tokens!.includes('"assistant": entity.name.tag.role.sft-jsonl'));
  assert.ok(tokens!.includes('<|eot_id|>: keyword.control.special-token.sft-jsonl'));
  assert.ok(tokens!.includes('\\n: constant.character.escape.json'));
});

test('a broken line does not colour the lines after it', async () => {
  const grammar = await loadGrammar();
  const [, second] = tokenize(grammar, ['{"messages": [{"role": "user", "content": "unclosed', '{"text": "ok"}']);
  assert.deepEqual(second, ['{: punctuation.definition.dictionary.begin.json', '"text": support.type.property-name.json', ':: punctuation.separator.dictionary.key-value.json', ' : meta.structure.dictionary.json', '": punctuation.definition.string.begin.json', 'ok: string.quoted.double.json', '": punctuation.definition.string.end.json', '}: punctuation.definition.dictionary.end.json']);
});
