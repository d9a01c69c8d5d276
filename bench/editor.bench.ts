/**
 * Editor benchmark in code-server on 100,000 WordNet examples with the Llama 3 tokenizer and
 * template: activation time, first diagnostics after opening, edit-to-diagnostic latency, and the
 * longest event-loop block of the extension host while opening and while editing, and, from a CPU
 * profile of the host, the longest stretch spent in SFT Studio's own code (target: none over
 * 20 ms; VS Code's own handling of a 34 MB document blocks longer, and is reported apart). Each run starts a fresh code-server; medians of RUNS runs are reported next to the
 * same-session reference of `sft-studio check` on the same file.
 *
 *   npm run bench:editor     (or: npx tsx bench/editor.bench.ts [RUNS])
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, runSuite } from '../test/editor/codeServer';
import { timeInBundle } from './editor/hostProfile';
import { median } from './median';

const COUNT = 100_000;


async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const file = path.join(ROOT, '.bench', `wordnet-${COUNT}.sft.jsonl`);
  if (!fs.existsSync(file)) spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'generateDataset.ts'), file, String(COUNT)], { stdio: 'inherit' });
  const text = fs.readFileSync(file, 'utf8');
  const project = { model: path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama3', 'models'), template: 'llama3' };
  const figures: Array<Record<string, number>> = [];
  const reference: number[] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`run ${i + 1}: starting code-server (${new Date().toISOString()})`);
    const profile = path.join(ROOT, '.bench', 'editor', `host-${i + 1}.cpuprofile`);
    fs.mkdirSync(path.dirname(profile), { recursive: true });
    const result = await runSuite({
      suite: path.join(__dirname, 'editor', 'suite.ts'),
      files: { 'big/sft-studio.json': JSON.stringify(project), 'big/wordnet.sft.jsonl': text },
      timeoutMs: 600_000,
      artifacts: path.join(ROOT, '.bench', 'editor'),
      runInfo: { profile },
    });
    if (!result) throw new Error('the editor benchmark gave no result');
    const own = timeInBundle(JSON.parse(fs.readFileSync(profile, 'utf8')), 'dist/extension.js');
    figures.push({ ...(result['figures'] as Record<string, number>), ownLongestMs: own.longestMs, ownTotalMs: own.totalMs });
    console.log(`run ${i + 1}: ${JSON.stringify(figures[i])}`);
    // The reference, measured between the editor runs: the CLI on the same file and setup.
    const started = performance.now();
    const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sft-studio'), 'check', file, '--model', project.model, '--template', 'llama3', '--format', 'json'], { maxBuffer: 1 << 30 });
    if (cli.status !== 0 && cli.status !== 1) throw new Error(`the reference check failed: ${String(cli.stderr)}`);
    reference.push(performance.now() - started);
    console.log(`run ${i + 1}: reference ${reference[i]!.toFixed(0)} ms (${new Date().toISOString()})`);
  }
  const show = (key: string): string => `${median(figures.map((f) => f[key]!)).toFixed(1)} ms`;
  console.log(`\nmedians of ${runs} runs (${COUNT} lines):`);
  console.log(`  activation                 ${show('activationMs')}`);
  console.log(`  first diagnostics          ${show('firstDiagnosticsMs')}   (reference: sft-studio check on the same file ${median(reference).toFixed(0)} ms)`);
  console.log(`  edit to diagnostic         ${show('editLatencyMedianMs')} (slowest of each run's edits: ${show('editLatencyMaxMs')})`);
  console.log(`  longest event-loop block   opening ${show('openBlockMs')}, editing ${show('editBlockMs')} (the whole extension host, VS Code's own work included)`);
  console.log(`  longest stretch in SFT Studio's code ${show('ownLongestMs')} (target: under 20 ms; ${show('ownTotalMs')} in all, from a CPU profile of the host)`);
}

void main();
