/**
 * Checker benchmark on a realistic 100,000-example file (generated from WordNet glosses):
 *   parse  - read, parse and interpret every line (format rules only)
 *   floor  - single-threaded: read each line, JSON.parse it, and encode once, with the Llama 3
 *            tokenizer of @huggingface/tokenizers as the library ships it, `role + "\n" + content`
 *            of every message joined with "\n": the least any check that tokenizes every example
 *            with that library must do
 *   ownfloor - the same with the checker's own tokenizer (the library plus its fast paths), for
 *            reference: what tokenizing costs the check itself
 *   full1  - the full check (`sft-studio check`, run in this process) on one thread (--jobs 1), with the
 *            Llama 3 tokenizer and template; target: within 1.3x of the floor
 *   full   - the same with `check`'s default for large files (2 worker threads); target: at or
 *            under the floor
 *   edit   - re-checking one edited line in a 100,000-line document, p50/p95 over 300 edits
 * Each phase runs in its own process so its peak RSS is its own.
 *
 *   npm run bench            (or: npx tsx bench/check.bench.ts [EXAMPLES])
 *   BENCH_PHASES=floor,ownfloor,full1,full BENCH_RUNS=5 npx tsx bench/check.bench.ts   (medians of 5 rounds)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main as cli } from '../src/cli/main';
import { loadCheckSetup } from '../src/dataset/load/checkSetup';
import { readJsonObject } from '../src/dataset/load/modelFolder';
import { libraryTokenizer, TextTokenizer } from '../src/dataset/tokens';
import { readLines } from '../src/dataset/load/lineReader';
import { parseJson } from '../src/dataset/json/parseJson';
import { interpretRecord } from '../src/dataset/records';
import { DatasetDocument } from '../src/dataset/datasetDocument';
import { exampleLine, readSynsets } from './generateDataset';
import { median } from './median';

const ROOT = path.resolve(__dirname, '..');
const MODEL = path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama3', 'models');

interface PhaseResult {
  phase: string;
  seconds: number;
  examples: number;
  peakRssMb: number;
  extra?: Record<string, number>;
}

async function runPhase(phase: string, file: string): Promise<PhaseResult> {
  const started = performance.now();
  let examples = 0;
  const extra: Record<string, number> = {};
  if (phase === 'parse') {
    for await (const line of readLines(file)) {
      const parsed = parseJson(line.text);
      if (parsed.ok) interpretRecord(parsed.value);
      examples++;
    }
  } else if (phase === 'floor' || phase === 'ownfloor') {
    // floor: the library's own tokenizer; ownfloor: the checker's, with the fast paths it installs
    // on its instance (tokenizerFastPaths.ts), to tell the check's other work from tokenizing.
    const files = { tokenizerJson: readJsonObject(path.join(MODEL, 'tokenizer.json')), tokenizerConfig: readJsonObject(path.join(MODEL, 'tokenizer_config.json')) };
    let encodeIds: (text: string) => number[];
    if (phase === 'floor') {
      const library = libraryTokenizer(files);
      encodeIds = (text) => library.encode(text, { add_special_tokens: false }).ids;
    } else {
      const own = new TextTokenizer(files);
      encodeIds = (text) => own.encodeIds(text);
    }
    const loadedAt = performance.now();
    let tokens = 0;
    for await (const line of readLines(file)) {
      const record = JSON.parse(line.text) as { messages: Array<{ role: string; content: string }> };
      tokens += encodeIds(record.messages.map((m) => `${m.role}\n${m.content}`).join('\n')).length;
      examples++;
    }
    extra['tokens'] = tokens;
    extra['tokenizerLoadSeconds'] = (loadedAt - started) / 1000;
  } else if (phase === 'full' || phase === 'full1') {
    // Exactly `sft-studio check FILE --model MODEL --format json --stats [--jobs 1]`.
    let output = '';
    const io = { stdout: (text: string) => void (output += text), stderr: () => undefined, stderrIsTerminal: false, stdoutIsTerminal: false, stdin: process.stdin };
    await cli(['check', file, '--model', MODEL, '--format', 'json', '--stats', ...(phase === 'full1' ? ['--jobs', '1'] : [])], io);
    const result = JSON.parse(output) as { findings: unknown[]; stats: Array<{ stats: { examples: number; tokens: number } }> };
    extra['jobs'] = phase === 'full1' ? 1 : Math.min(2, os.availableParallelism());
    examples = result.stats[0]!.stats.examples;
    extra['findings'] = result.findings.length;
    extra['tokens'] = result.stats[0]!.stats.tokens;
  } else if (phase === 'edit') {
    const context = loadCheckSetup(ROOT, { model: MODEL }).context;
    const text = fs.readFileSync(file, 'utf8');
    const doc = new DatasetDocument({ context }, text);
    examples = doc.lineCount;
    const builtAt = performance.now();
    const synsets = readSynsets();
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const line = (i * 7331) % (doc.lineCount - 1);
      const t0 = performance.now();
      doc.replaceLines(line, line + 1, [exampleLine(synsets, 1_000_000 + i)]);
      doc.lineFindings(line);
      doc.fileFindings();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    extra['buildSeconds'] = (builtAt - started) / 1000;
    extra['p50Ms'] = times[Math.floor(times.length * 0.5)]!;
    extra['p95Ms'] = times[Math.floor(times.length * 0.95)]!;
  }
  const seconds = (performance.now() - started) / 1000;
  return { phase, seconds, examples, peakRssMb: process.resourceUsage().maxRSS / 1024, extra };
}

async function main(): Promise<void> {
  const phaseIndex = process.argv.indexOf('--phase');
  if (phaseIndex >= 0) {
    process.stdout.write(JSON.stringify(await runPhase(process.argv[phaseIndex + 1]!, process.argv[phaseIndex + 2]!)));
    return;
  }
  const count = Number(process.argv[2] ?? 100_000);
  const file = path.join(ROOT, '.bench', `wordnet-${count}.sft.jsonl`);
  if (!fs.existsSync(file)) {
    spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'generateDataset.ts'), file, String(count)], { stdio: 'inherit' });
  }
  const megabytes = fs.statSync(file).size / 1e6;
  console.log(`file: ${file} (${count} examples, ${megabytes.toFixed(1)} MB); node ${process.version}`);
  const phases = process.env['BENCH_PHASES']?.split(',') ?? ['parse', 'floor', 'full1', 'full', 'edit'];
  // Rounds of every phase in turn, so that a busy spell on a shared machine hits all phases alike;
  // the ratios below compare medians.
  const rounds = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 1));
  const results: PhaseResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}`);
    for (const phase of phases) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--phase', phase, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`phase ${phase} failed: ${child.stderr}`);
      const result = JSON.parse(child.stdout) as PhaseResult;
      results.push(result);
      const rate = `${(result.examples / result.seconds).toFixed(0)} examples/s, ${(megabytes / result.seconds).toFixed(2)} MB/s`;
      console.log(`${phase.padEnd(8)} ${result.seconds.toFixed(2).padStart(8)} s  ${rate.padEnd(36)} peak RSS ${result.peakRssMb.toFixed(0)} MB  ${JSON.stringify(result.extra)}`);
    }
  }
  const seconds = (phase: string): number | undefined => {
    const times = results.filter((r) => r.phase === phase).map((r) => r.seconds);
    return times.length > 0 ? median(times) : undefined;
  };
  if (rounds > 1) console.log(`medians of ${rounds}: ${phases.map((phase) => `${phase} ${seconds(phase)!.toFixed(2)} s`).join(', ')}`);
  const floor = seconds('floor');
  if (floor === undefined) return;
  const full1 = seconds('full1');
  const full = seconds('full');
  if (full1 !== undefined) console.log(`full1 / floor time: ${(full1 / floor).toFixed(2)}x (target <= 1.3x)`);
  const ownFloor = seconds('ownfloor');
  if (full1 !== undefined && ownFloor !== undefined) console.log(`full1 / ownfloor time: ${(full1 / ownFloor).toFixed(2)}x (the check's work beyond its own tokenizing)`);
  if (full !== undefined) console.log(`full / floor time: ${(full / floor).toFixed(2)}x (target <= 1.0x)`);
}


void main();
