/**
 * Turns the FILE arguments of `check` into dataset files: a file as it is, a folder as every
 * `.sft.jsonl` file below it, and `-` as standard input (saved to a temporary file first, so that
 * it is read in one pass like any file, with bounded memory).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from './args';

export interface DatasetFile {
  /** Where the bytes are. */
  path: string;
  /** How findings name it: the path given, or `<stdin>`. */
  shown: string;
  /** Where `sft-studio.json` is looked for. */
  projectDir: string;
}

/** Folders never searched for datasets. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

export async function resolveDatasetFiles(args: readonly string[], stdin: NodeJS.ReadableStream): Promise<{ files: DatasetFile[]; cleanup(): void }> {
  const files: DatasetFile[] = [];
  const temporary: string[] = [];
  const cleanup = (): void => {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const arg of args) {
      if (arg === '-') {
        if (files.some((f) => f.shown === '<stdin>')) throw new UsageError('- (standard input) can be given only once');
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-stdin-'));
        temporary.push(dir);
        const file = path.join(dir, 'stdin.sft.jsonl');
        await pipeline(stdin, fs.createWriteStream(file));
        files.push({ path: file, shown: '<stdin>', projectDir: process.cwd() });
        continue;
      }
      const stat = fs.statSync(arg, { throwIfNoEntry: false });
      if (!stat) throw new UsageError(`No such file: ${arg}`);
      if (stat.isDirectory()) {
        const found = datasetsBelow(arg);
        if (found.length === 0) throw new UsageError(`No .sft.jsonl file in the folder ${arg}: name the files to check, or rename them to end in .sft.jsonl`);
        for (const file of found) files.push({ path: file, shown: file, projectDir: path.dirname(path.resolve(file)) });
      } else if (stat.isFile()) {
        files.push({ path: arg, shown: arg, projectDir: path.dirname(path.resolve(arg)) });
      } else {
        throw new UsageError(`${arg} is not a file or a folder`);
      }
    }
  } catch (error) {
    cleanup();
    throw error;
  }
  return { files, cleanup };
}

/** Every `.sft.jsonl` file below `dir`, in a stable order. */
function datasetsBelow(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    const entries = fs.readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.sft.jsonl')) found.push(full);
    }
  };
  walk(dir);
  return found;
}
