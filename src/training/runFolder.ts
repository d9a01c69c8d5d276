/**
 * Reading a run folder from the editor's side: its settings, its events (whole, then only what was
 * appended since), whether a trainer process still writes it, and appending the last event of a
 * run whose trainer died without writing one. The folder is the record; nothing else is kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../common/runFiles';
import { parseEvents, type TrainerEvent } from '../common/trainerProtocol';

export function readRunConfig(runDir: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.config), 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.events)) || fs.existsSync(path.join(dir, RUN_FILES.config));
}

/** The process id in `trainer.pid` when that process is still alive. */
export function liveTrainerPid(runDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(runDir, RUN_FILES.pid), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the run folder has a complete checkpoint to resume from. */
export function hasCheckpoint(runDir: string): boolean {
  try {
    return fs.readdirSync(runDir).some((name) => /^checkpoint-\d+$/.test(name) && fs.existsSync(path.join(runDir, name, RUN_FILES.state)));
  } catch {
    return false;
  }
}

/** Total size of the files in a folder (the adapter's size), or undefined when it does not exist. */
export function folderBytes(dir: string): number | undefined {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).reduce((sum, e) => sum + fs.statSync(path.join(dir, e.name)).size, 0);
  } catch {
    return undefined;
  }
}

/**
 * Reads `events.ndjson` incrementally: the first `read()` returns every event, later ones only
 * complete lines appended since. A torn last line waits for its end.
 */
export class EventFileReader {
  private offset = 0;
  /** The bytes of a line not yet ended (kept as bytes: a read may end inside a character). */
  private pending = Buffer.alloc(0);

  constructor(readonly file: string) {}

  read(): TrainerEvent[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      const read = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += read;
      const bytes = Buffer.concat([this.pending, buffer.subarray(0, read)]);
      const end = bytes.lastIndexOf(0x0a);
      this.pending = Buffer.from(bytes.subarray(end + 1));
      return end < 0 ? [] : parseEvents(bytes.subarray(0, end).toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Appends an event the trainer could not write (it was killed, or never started) to the record. */
export function appendEvent(runDir: string, event: TrainerEvent): void {
  fs.mkdirSync(runDir, { recursive: true });
  fs.appendFileSync(path.join(runDir, RUN_FILES.events), `${JSON.stringify(event)}\n`);
}
