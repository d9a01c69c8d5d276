/**
 * `sft-studio check FILE... [--model DIR] [--template NAME] [--max-length N] [--format text|json]
 * [--stats] [--ignore CODE]... [--jobs N]`: exit 1 when any error was found, 0 otherwise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { loadCheckSetup, type CheckFlags } from '../../dataset/load/checkSetup';
import { CheckWorkerPool } from '../../dataset/load/parallelCheck';
import { checkFile } from '../../dataset/load/checkFile';
import { formatStatistics, type DatasetStatistics } from '../../dataset/stats';
import { choiceFlag, flag, parseArgs, positiveIntFlag, UsageError, type FlagSpec } from '../args';
import { formatTextFinding, toJsonFinding, type JsonFinding } from '../output';
import type { CliIo } from '../io';
import { resolveDatasetFiles, type DatasetFile } from '../datasetFiles';

const CHECK_FLAGS: Record<string, FlagSpec> = {
  model: { value: true },
  template: { value: true },
  'max-length': { value: true },
  format: { value: true },
  stats: { value: false },
  ignore: { value: true, repeat: true },
  jobs: { value: true },
};

/** Files smaller than this are checked on the main thread: starting workers costs more than it saves. */
const PARALLEL_MIN_BYTES = 2_000_000;

export async function runCheck(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, CHECK_FLAGS);
  const format = choiceFlag(args, 'format', ['text', 'json'] as const, 'text');
  if (args.positionals.length === 0) throw new UsageError('check needs at least one .sft.jsonl file, a folder, or - for standard input: sft-studio check FILE...');
  const flags: CheckFlags = { ignore: args.flags.get('ignore') ?? [] };
  const model = flag(args, 'model');
  const template = flag(args, 'template');
  const maxLength = positiveIntFlag(args, 'max-length');
  const jobsFlag = positiveIntFlag(args, 'jobs');
  if (model !== undefined) flags.model = model;
  if (template !== undefined) flags.template = template;
  if (maxLength !== undefined) flags.maxLength = maxLength;

  const { files, cleanup } = await resolveDatasetFiles(args.positionals, io.stdin);
  try {
    return await checkFiles(files, flags, { format, withStats: args.flags.has('stats'), jobs: jobsFlag }, io);
  } finally {
    cleanup();
  }
}

async function checkFiles(files: readonly DatasetFile[], flags: CheckFlags, options: { format: 'text' | 'json'; withStats: boolean; jobs: number | undefined }, io: CliIo): Promise<number> {
  const jobsFor = files.map((file) => options.jobs ?? (fs.statSync(file.path).size >= PARALLEL_MIN_BYTES ? Math.min(2, os.availableParallelism()) : 1));
  // The first file's workers load their tokenizers while this thread loads its own.
  const first = jobsFor.findIndex((jobs) => jobs > 1);
  const firstPool = first < 0 ? undefined : new CheckWorkerPool({ datasetDir: files[first]!.projectDir, flags }, jobsFor[first]!);
  try {
    return await checkWith(files, flags, jobsFor, firstPool ? { index: first, pool: firstPool } : undefined, options, io);
  } finally {
    // Ends the early workers when a setup or a file before theirs failed; a no-op once their check ended them.
    await firstPool?.terminate();
  }
}

async function checkWith(
  files: readonly DatasetFile[],
  flags: CheckFlags,
  jobsFor: readonly number[],
  early: { index: number; pool: CheckWorkerPool } | undefined,
  options: { format: 'text' | 'json'; withStats: boolean },
  io: CliIo,
): Promise<number> {
  const { format, withStats } = options;
  // Every setup is loaded before any output, so a setup problem never leaves half a JSON document.
  const setups = files.map((file) => loadCheckSetup(file.projectDir, flags));
  // JSON streams element by element so memory stays bounded on large files. With --stats the
  // output is an object holding the findings array and the statistics.
  let jsonCount = 0;
  const writeJson = (finding: JsonFinding): void => io.stdout(`${jsonCount++ === 0 ? '' : ',\n'}${JSON.stringify(finding)}`);
  if (format === 'json') io.stdout(withStats ? '{"findings": [\n' : '[\n');
  const statistics: Array<{ file: string; stats: DatasetStatistics }> = [];
  let errors = 0;
  for (const [index, { path: file, shown, projectDir }] of files.entries()) {
    const setup = setups[index]!;
    const jobs = jobsFor[index]!;
    const progress = io.stderrIsTerminal
      ? (bytes: number, lines: number) => io.stderr(`\r${shown}: ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB checked`)
      : undefined;
    const result = await checkFile(file, setup, {
      onFinding(finding) {
        if (finding.severity === 'error') errors++;
        if (format === 'json') writeJson(toJsonFinding(shown, finding));
        else io.stdout(`${formatTextFinding(shown, finding)}\n`);
      },
      ...(progress ? { onProgress: progress } : {}),
    }, { jobs, setupSource: { datasetDir: projectDir, flags }, ...(early && index === early.index ? { pool: early.pool } : {}) });
    if (progress) io.stderr('\r\x1b[K');
    if (withStats) {
      const stats = result.statistics.summary();
      statistics.push({ file: shown, stats });
      if (format === 'text') io.stdout(`\n${shown}\n${formatStatistics(stats)}\n`);
    }
  }
  if (format === 'json') io.stdout(withStats ? `\n], "stats": ${JSON.stringify(statistics)}}\n` : '\n]\n');
  return errors > 0 ? 1 : 0;
}
