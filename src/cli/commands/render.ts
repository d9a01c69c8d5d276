/**
 * `sft-studio render FILE --line N [--model DIR] [--template NAME] [--format text|json]`: one
 * example exactly as training sees it, with the trained tokens marked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJson } from '../../dataset/json/parseJson';
import { loadCheckSetup, type CheckFlags } from '../../dataset/load/checkSetup';
import { readLines } from '../../dataset/load/lineReader';
import { checkLine } from '../../dataset/checkLine';
import { prepareRecord, renderRecord } from '../../dataset/example';
import type { RenderedExample } from '../../dataset/mask';
import { interpretRecord } from '../../dataset/records';
import { choiceFlag, flag, parseArgs, positiveIntFlag, UsageError, type FlagSpec } from '../args';
import type { CliIo } from '../io';
import { formatTextFinding } from '../output';
import { resolveFinding, type Finding, type LineFinding } from '../../dataset/rules';

const RENDER_FLAGS: Record<string, FlagSpec> = {
  line: { value: true },
  model: { value: true },
  template: { value: true },
  format: { value: true },
};

export interface RenderedToken {
  id: number;
  text: string;
  trained: boolean;
}

export async function runRender(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, RENDER_FLAGS);
  const format = choiceFlag(args, 'format', ['text', 'json'] as const, 'text');
  const file = args.positionals[0];
  const lineNumber = positiveIntFlag(args, 'line');
  if (!file || args.positionals.length > 1 || lineNumber === undefined) throw new UsageError('usage: sft-studio render FILE --line N [--model DIR] [--template NAME] [--format text|json]');
  if (!fs.existsSync(file)) throw new UsageError(`No such file: ${file}`);
  const flags: CheckFlags = {};
  const model = flag(args, 'model');
  const template = flag(args, 'template');
  if (model !== undefined) flags.model = model;
  if (template !== undefined) flags.template = template;
  const setup = loadCheckSetup(path.dirname(path.resolve(file)), flags);

  const text = await readLine(file, lineNumber - 1);
  if (text === undefined) throw new UsageError(`${file} has fewer than ${lineNumber} lines`);
  // Findings are printed as `check` prints them: with their severity, in column order.
  const report = (findings: readonly LineFinding[]): void => {
    const resolved = findings.map((f) => resolveFinding(f, lineNumber - 1, setup.overrides)).filter((f): f is Finding => f !== undefined);
    for (const finding of resolved.sort((a, b) => a.start - b.start)) io.stderr(`${formatTextFinding(file, finding)}\n`);
  };
  const parsed = parseJson(text);
  if (!parsed.ok) {
    report([parsed.error]);
    return 1;
  }
  const { record, findings } = interpretRecord(parsed.value);
  if (!record) {
    report(findings);
    return 1;
  }
  const { template: chatTemplate, tokenizer } = setup.context;
  const prepared = tokenizer ? prepareRecord(record, setup.context) : undefined;
  const rendered = prepared ? prepared.rendered : renderRecord(record, setup.context);
  if (!rendered) throw new UsageError('Rendering a chat example needs a chat template: pass --template NAME or --model DIR, or set them in sft-studio.json');
  report(checkLine(text, setup.context).findings);
  if (rendered.text.length === 0) return 1;

  // The tokens exactly as the trainer receives them: truncated at max_length.
  const tokens = prepared?.ok ? prepared.ids.map((id, i): RenderedToken => ({
    id, text: rendered.text.slice(prepared.offsets[2 * i], prepared.offsets[2 * i + 1]), trained: prepared.trained[i] === 1,
  })) : undefined;
  if (format === 'json') {
    const trainedSpans = rendered.spans.map(({ start, end }) => ({ start, end }));
    const truncation = prepared?.ok && prepared.truncatedFrom !== undefined ? { truncatedFrom: prepared.truncatedFrom } : {};
    io.stdout(`${JSON.stringify({ text: rendered.text, trainedSpans, ...(tokens ? { tokens } : {}), ...truncation })}\n`);
    return prepared && !prepared.ok ? 1 : 0;
  }
  const color = io.stdoutIsTerminal;
  io.stdout(`${tokens ? markTokens(tokens, color) : markSpans(rendered, color)}\n`);
  const legend = color ? 'trained text in green' : 'trained text between [[ and ]]';
  const counts = tokens
    ? `${tokens.length} tokens, ${tokens.filter((t) => t.trained).length} trained`
    : prepared ? 'this example cannot train' : `${rendered.spans.reduce((n, s) => n + s.end - s.start, 0)} of ${rendered.text.length} characters trained (pass --model DIR to count tokens)`;
  io.stdout(`\n-- ${counts}; ${legend}; template: ${chatTemplate?.info.name ?? 'none'}\n`);
  return prepared && !prepared.ok ? 1 : 0;
}

const GREEN = '\x1b[1;32m';
const RESET = '\x1b[0m';

function markTokens(tokens: readonly RenderedToken[], color: boolean): string {
  let out = '';
  let inTrained = false;
  for (const token of tokens) {
    if (token.trained !== inTrained) {
      out += color ? (token.trained ? GREEN : RESET) : token.trained ? '[[' : ']]';
      inTrained = token.trained;
    }
    out += token.text;
  }
  if (inTrained) out += color ? RESET : ']]';
  return out;
}

function markSpans(rendered: RenderedExample, color: boolean): string {
  let out = '';
  let at = 0;
  for (const span of [...rendered.spans].sort((a, b) => a.start - b.start)) {
    out += rendered.text.slice(at, span.start);
    out += (color ? GREEN : '[[') + rendered.text.slice(span.start, span.end) + (color ? RESET : ']]');
    at = span.end;
  }
  return out + rendered.text.slice(at);
}

async function readLine(file: string, index: number): Promise<string | undefined> {
  for await (const line of readLines(file)) {
    if (line.index === index) return line.text;
  }
  return undefined;
}
