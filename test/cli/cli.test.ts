/** The `sft-studio` command as scripts use it: output formats, exit codes, the project file. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { chat, ROOT, tokenizerFolder } from '../helpers';

const BIN = path.join(ROOT, 'bin', 'sft-studio');

function run(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-cli-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const GOOD = JSON.stringify(chat(['user', 'Define dog.'], ['assistant', 'A domesticated canine.']));
const BAD_ROLE = '{"messages": [{"role": "usr", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}';

test('json output: 1-based lines, UTF-16 columns, exclusive ends, exit 1 on errors', () => {
  const dir = workspace({ 'data.sft.jsonl': `${GOOD}\n${BAD_ROLE}\n${GOOD}\n` });
  const { code, stdout } = run(['check', path.join(dir, 'data.sft.jsonl'), '--format', 'json']);
  assert.equal(code, 1);
  const findings = JSON.parse(stdout) as Array<Record<string, unknown>>;
  const role = findings.find((f) => f['code'] === 'message/role-unknown')!;
  assert.deepEqual({ ...role, message: undefined }, {
    file: path.join(dir, 'data.sft.jsonl'), line: 2, column: BAD_ROLE.indexOf('"usr"') + 1, endLine: 2,
    endColumn: BAD_ROLE.indexOf('"usr"') + 6, severity: 'error', code: 'message/role-unknown', message: undefined,
  });
  const dup = findings.find((f) => f['code'] === 'duplicate/example')!;
  assert.equal(dup['line'], 3);
  const skipped = findings.find((f) => f['code'] === 'checks/skipped')!;
  assert.deepEqual([skipped['line'], skipped['column'], skipped['scope']], [1, 1, 'file']);
});

test('text output is compiler-style; warnings alone exit 0', () => {
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n${GOOD}\n` });
  const { code, stdout } = run(['check', 'a.sft.jsonl'], dir);
  assert.equal(code, 0);
  assert.match(stdout, /^a\.sft\.jsonl:2:1: warning duplicate\/example: Exact duplicate of line 1/m);
});

test('columns count UTF-16 code units, as the editor does', () => {
  const line = '{"messages": [{"role": "😀", "content": "Hi"}, {"role": "assistant", "content": "x"}]}';
  const dir = workspace({ 'u.sft.jsonl': `${line}\n` });
  const findings = JSON.parse(run(['check', 'u.sft.jsonl', '--format', 'json'], dir).stdout) as Array<{ code: string; column: number; endColumn: number }>;
  const role = findings.find((f) => f.code === 'message/role-unknown')!;
  assert.equal(role.column, line.indexOf('"😀"') + 1);
  assert.equal(role.endColumn - role.column, 4);
});

test('usage problems exit 2 with a message saying what to do', () => {
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n` });
  const cases: Array<[string[], RegExp]> = [
    [['check'], /at least one/],
    [['check', 'missing.sft.jsonl'], /No such file/],
    [['check', 'a.sft.jsonl', '--bogus'], /Unknown option --bogus/],
    [['check', 'a.sft.jsonl', '--model', 'nowhere'], /does not exist/],
    [['check', 'a.sft.jsonl', '--model', 'a.sft.jsonl'], /a\.sft\.jsonl is a file, not a model folder: pass the folder that holds it/],
    [['check', 'a.sft.jsonl', '--template', 'missing.jinja'], /Template file .*missing\.jinja does not exist/],
    [['check', 'a.sft.jsonl', '--template', 'nope'], /sft-studio templates/],
    [['check', 'a.sft.jsonl', '--max-length', 'ten'], /positive whole number/],
    [['check', 'a.sft.jsonl', '--ignore', 'not/a-rule'], /no such rule/],
    [['check', 'a.sft.jsonl', '--format', 'xml'], /text, json/],
    [['frobnicate'], /Unknown command/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = run(args, dir);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, message, args.join(' '));
  }
});

test('the project file sets model, template, max_length and rules; flags win', () => {
  const long = JSON.stringify(chat(['user', 'Define dog.'], ['assistant', 'A domesticated carnivorous mammal with a long snout and an acute sense of smell.']));
  const project = { model: tokenizerFolder('llama3'), template: 'llama3', max_length: 20, rules: { 'template/eos-never-rendered': 'off' } };
  const dir = workspace({ 'sft-studio.json': JSON.stringify(project), 'data/a.sft.jsonl': `${long}\n` });
  const codes = (args: string[]): string[] => (JSON.parse(run(['check', 'data/a.sft.jsonl', '--format', 'json', ...args], dir).stdout) as Array<{ code: string }>).map((f) => f.code);
  assert.deepEqual(codes([]), ['length/truncated']);
  assert.deepEqual(codes(['--max-length', '1000']), []);
  assert.deepEqual(codes(['--ignore', 'length/truncated']), []);
  fs.writeFileSync(path.join(dir, 'sft-studio.json'), JSON.stringify({ ...project, max_length: 'long' }));
  const broken = run(['check', 'data/a.sft.jsonl'], dir);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /"max_length" must be a positive whole number of tokens, not "long"/);
});

test('--stats reports examples, tokens, trained tokens, histogram and the share over max_length', () => {
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n{"text": "hello"}\n` });
  const { stdout } = run(['check', 'a.sft.jsonl', '--model', tokenizerFolder('llama3'), '--stats', '--format', 'json'], dir);
  const output = JSON.parse(stdout) as { findings: unknown[]; stats: Array<{ stats: Record<string, unknown> }> };
  const stats = output.stats[0]!.stats;
  assert.equal(stats['examples'], 2);
  assert.equal(stats['tokenizedExamples'], 2);
  assert.ok((stats['trainedTokens'] as number) > 0 && (stats['trainedTokens'] as number) < (stats['tokens'] as number));
  assert.equal(stats['overMaxLengthShare'], 0);
  const text = run(['check', 'a.sft.jsonl', '--model', tokenizerFolder('llama3'), '--stats'], dir).stdout;
  assert.match(text, /examples: 2 \(1 messages, 1 text\)/);
  assert.match(text, /length histogram/);
});

test('render shows the trained tokens, as text and as JSON', () => {
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n` });
  const text = run(['render', 'a.sft.jsonl', '--line', '1', '--model', tokenizerFolder('llama3')], dir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /<\|end_header_id\|>\n\n\[\[A domesticated canine\.<\|eot_id\|>\]\]/);
  assert.match(text.stdout, /tokens, 6 trained/);
  const json = JSON.parse(run(['render', 'a.sft.jsonl', '--line', '1', '--model', tokenizerFolder('llama3'), '--format', 'json'], dir).stdout) as { text: string; tokens: Array<{ id: number; text: string; trained: boolean }> };
  assert.equal(json.tokens.filter((t) => t.trained).map((t) => t.text).join(''), 'A domesticated canine.<|eot_id|>');
  assert.equal(json.tokens.map((t) => t.text).join(''), json.text);
  assert.equal(run(['render', 'a.sft.jsonl', '--line', '5', '--template', 'llama3'], dir).code, 2);
  assert.equal(run(['render', 'a.sft.jsonl', '--line', '1'], dir).code, 2);
});

test('templates lists the catalog by the names --template takes', () => {
  const { code, stdout } = run(['templates', '--format', 'json']);
  assert.equal(code, 0);
  const names = (JSON.parse(stdout) as Array<{ name: string }>).map((t) => t.name);
  for (const name of ['llama3', 'llama3.1', 'mistral', 'qwen2.5', 'phi3', 'gemma2', 'smollm2']) assert.ok(names.includes(name), name);
});

test('invalid UTF-8 and stray binary bytes are findings on their lines, never a crash', () => {
  const dir = workspace({});
  fs.writeFileSync(path.join(dir, 'bin.sft.jsonl'), Buffer.concat([Buffer.from(`${GOOD}\n{"text": "caf`), Buffer.from([0xe9, 0x22, 0x7d, 0x0a]), Buffer.from([0, 1, 2, 0xff, 0x0a]), Buffer.from(`${GOOD.replace('dog', 'cat')}\n`)]));
  const { code, stdout } = run(['check', 'bin.sft.jsonl', '--format', 'json'], dir);
  assert.equal(code, 1);
  const findings = JSON.parse(stdout) as Array<{ line: number; code: string; column: number }>;
  assert.deepEqual(findings.filter((f) => f.line === 2).map((f) => [f.code, f.column]), [['encoding/invalid-utf8', '{"text": "caf'.length + 1]]);
  assert.deepEqual(findings.filter((f) => f.line === 3).map((f) => f.code), ['encoding/invalid-utf8']);
});

test('convert rewrites ShareGPT and Alpaca lines and copies every other line unchanged', () => {
  const other = '{"messages":  [{"role": "user", "content": "kept"}, {"role": "assistant", "content": "as is"}]}';
  const input = [
    '{"id": 1, "conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}',
    other,
    '{"instruction": "Add", "input": "1+1", "output": "2"}',
    '{"conversations": [{"from": "robot", "value": "?"}]}',
  ].join('\r\n') + '\r\n';
  const dir = workspace({ 'in.jsonl': input });
  const result = run(['convert', 'in.jsonl', '--out', 'out.sft.jsonl'], dir);
  assert.equal(result.code, 1, 'a line that cannot be converted is reported');
  assert.match(result.stderr, /converted 1 ShareGPT and 1 Alpaca lines/);
  assert.match(result.stderr, /lines 4/);
  const out = fs.readFileSync(path.join(dir, 'out.sft.jsonl'), 'utf8').split('\r\n');
  assert.deepEqual(JSON.parse(out[0]!), { messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }], id: 1 });
  assert.equal(out[1], other);
  assert.deepEqual(JSON.parse(out[2]!), { messages: [{ role: 'user', content: 'Add\n\n1+1' }, { role: 'assistant', content: '2' }] });
  assert.equal(out[3], '{"conversations": [{"from": "robot", "value": "?"}]}');
  assert.equal(out[4], '');
  assert.equal(fs.readFileSync(path.join(dir, 'in.jsonl'), 'utf8'), input, 'the input is untouched');
  const again = run(['convert', 'in.jsonl', '--out', 'out.sft.jsonl'], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists/);
});

test('a reader that stops early ends the command quietly, and short options are usage errors', () => {
  const dir = workspace({ 'broken.sft.jsonl': `${'{"messages": 3}\n'.repeat(20000)}` });
  const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" check broken.sft.jsonl | head -1`], { cwd: dir, encoding: 'utf8' });
  assert.equal(piped.stdout.split('\n').filter((l) => l.length > 0).length, 1);
  assert.doesNotMatch(piped.stderr, /EPIPE|internal error|Unhandled/);
  const short = run(['check', '-v', path.join(dir, 'broken.sft.jsonl')]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /Unknown option -v: options are long \(--name\)/);
});

test('- reads standard input; a folder checks every .sft.jsonl file below it', () => {
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n`, 'sub/b.sft.jsonl': `${BAD_ROLE}\n`, 'sub/notes.jsonl': 'not checked\n', 'node_modules/x/c.sft.jsonl': 'skipped\n' });
  const piped = spawnSync(process.execPath, [BIN, 'check', '-', '--format', 'json'], { cwd: dir, input: `${BAD_ROLE}\n`, encoding: 'utf8' });
  assert.equal(piped.status, 1, piped.stderr);
  const fromStdin = JSON.parse(piped.stdout) as Array<{ file: string; code: string }>;
  assert.ok(fromStdin.some((f) => f.file === '<stdin>' && f.code === 'message/role-unknown'));
  const folder = run(['check', '.', '--format', 'json'], dir);
  assert.equal(folder.code, 1);
  const files = [...new Set((JSON.parse(folder.stdout) as Array<{ file: string }>).map((f) => f.file))];
  assert.deepEqual(files, ['a.sft.jsonl', path.join('sub', 'b.sft.jsonl')]);
  const empty = workspace({ 'readme.txt': 'x' });
  assert.match(run(['check', '.'], empty).stderr, /No \.sft\.jsonl file in the folder/);
});

test('a binary file is one finding; an empty file is an error; a BOM is noted and convert keeps it', () => {
  const dir = workspace({ 'empty.sft.jsonl': '' });
  fs.writeFileSync(path.join(dir, 'model.sft.jsonl'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4000, 0), Buffer.from('\n\n\n')]));
  const binary = run(['check', 'model.sft.jsonl', '--format', 'json'], dir);
  assert.equal(binary.code, 1);
  assert.deepEqual((JSON.parse(binary.stdout) as Array<{ code: string }>).map((f) => f.code), ['file/binary']);
  const empty = run(['check', 'empty.sft.jsonl'], dir);
  assert.equal(empty.code, 1);
  assert.match(empty.stdout, /error file\/empty: The file holds no example/);
  const sharegpt = '{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}';
  fs.writeFileSync(path.join(dir, 'bom.jsonl'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${sharegpt}\n{"text": "caf`), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  assert.match(run(['check', 'bom.jsonl'], dir).stdout, /bom\.jsonl:1:1: warning encoding\/bom: The file starts with a UTF-8 byte order mark/);
  assert.equal(run(['convert', 'bom.jsonl', '--out', 'out.jsonl'], dir).code, 0);
  const out = fs.readFileSync(path.join(dir, 'out.jsonl'));
  assert.deepEqual([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the byte order mark is kept');
  assert.ok(out.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x22])), 'bytes that are not UTF-8 are copied unchanged');
  assert.match(out.toString('utf8'), /"messages"/);
});

test('--help names every option; rules lists every rule code; names that are close get "did you mean"', () => {
  const help = run(['--help']).stdout;
  for (const option of ['--model', '--template', '--max-length', '--format', '--stats', '--ignore', '--jobs', '--force', '--backend', '--set', '--resume']) assert.match(help, new RegExp(`${option}\\b`), option);
  assert.match(help, /flags win\.\n$/);
  const rules = run(['rules', '--format', 'json']);
  assert.equal(rules.code, 0);
  const listed = (JSON.parse(rules.stdout) as Array<{ code: string; severity: string; summary: string }>);
  assert.ok(listed.length > 40);
  assert.ok(listed.every((r) => r.summary.length > 0));
  assert.match(run(['rules']).stdout, /^message\/role-unknown\s+error\s+a role trainers do not know$/m);
  const dir = workspace({ 'a.sft.jsonl': `${GOOD}\n` });
  assert.match(run(['check', 'a.sft.jsonl', '--template', 'llama-3'], dir).stderr, /Unknown template "llama-3": did you mean "llama3"\?/);
});

test('render prints findings as check does, in column order, and names the model\'s template by its file', () => {
  const line = '{"messages": [{"role": "user", "content": "Hi", "mood": 1}, {"role": "assistant", "content": "a<|eot_id|>"}], "id": 3}';
  const dir = workspace({ 'a.sft.jsonl': `${line}\n` });
  const result = run(['render', 'a.sft.jsonl', '--line', '1', '--model', tokenizerFolder('llama3')], dir);
  const printed = result.stderr.trim().split('\n');
  assert.deepEqual(printed.map((l) => /^a\.sft\.jsonl:1:(\d+): (\w+) ([\w/-]+):/.exec(l)?.slice(1, 4).join(' ')), [
    `${line.indexOf('"mood"') + 1} warning message/unknown-key`,
    `${line.indexOf('<|eot_id|>') + 1} error message/control-token-trained`,
    `${line.indexOf('"id"') + 1} info record/unknown-key`,
  ]);
  assert.match(result.stdout, /template: .*tokenizer-llama3[/\\]models[/\\]tokenizer_config\.json/);
  const stats = run(['check', 'a.sft.jsonl', '--model', tokenizerFolder('llama3'), '--stats'], dir).stdout;
  assert.match(stats, /tokenized: 1 of 1 examples\n/);
});

test('generate rejects an unknown role before loading a backend; a broken project file is shown by line and column', () => {
  const generate = run(['generate', '--model', tokenizerFolder('llama3'), '--messages', '[{"role": "User", "content": "Hi"}]']);
  assert.equal(generate.code, 2);
  assert.match(generate.stderr, /unknown role "User": did you mean "user"\?/);
  assert.doesNotMatch(generate.stderr, /backend/);
  const dir = workspace({ 'sft-studio.json': '{\n  "template": "llama3",\n  "max_length": 12\n  "rules": {}\n}\n', 'a.sft.jsonl': `${GOOD}\n` });
  const broken = run(['check', 'a.sft.jsonl'], dir);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /sft-studio\.json:4:3: not valid JSON: Expected ',' or '}' after a property value/);
});

test('the "$sft-studio" problem matcher reads every line of the text output', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { problemMatchers: Array<{ name: string; pattern: { regexp: string; file: number; line: number; column: number; severity: number; code: number; message: number } }> } };
  const matcher = manifest.contributes.problemMatchers.find((m) => m.name === 'sft-studio')!;
  const pattern = new RegExp(matcher.pattern.regexp);
  const dir = workspace({ 'with: colon.sft.jsonl': `${GOOD}\n${BAD_ROLE}\n${GOOD}\n` });
  const { stdout } = run(['check', path.join(dir, 'with: colon.sft.jsonl')]);
  const lines = stdout.trim().split('\n');
  assert.ok(lines.length >= 2);
  for (const line of lines) {
    const match = pattern.exec(line);
    assert.ok(match, `the problem matcher misses: ${line}`);
    assert.equal(match[matcher.pattern.file], path.join(dir, 'with: colon.sft.jsonl'));
  }
  const role = pattern.exec(lines.find((l) => l.includes('message/role-unknown'))!)!;
  assert.deepEqual([role[matcher.pattern.line], role[matcher.pattern.column], role[matcher.pattern.severity], role[matcher.pattern.code]], ['2', String(BAD_ROLE.indexOf('"usr"') + 1), 'error', 'message/role-unknown']);
  assert.match(role[matcher.pattern.message]!, /^Unknown role "usr"/);
});
