/**
 * The run folder (`output_dir`) is the record of a run: `config.json` (the resolved settings),
 * `events.ndjson` (the protocol's events, one a line, appended as they happen), one
 * `checkpoint-<step>/` per save, and `final/`. Whole files are written through a temp file and a
 * rename, so a reader (the editor, a resumed run) never sees half a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointName, RUN_FILES } from '../common/runFiles';
import { parseEvents, type TrainerEvent } from '../common/trainerProtocol';

export { checkpointName, RUN_FILES };

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, data);
  fs.renameSync(temp, file);
}


/** Appends events to `events.ndjson` and hands each to an optional listener (stdout for the editor). */
export class EventLog {
  private readonly fd: number;

  constructor(readonly runDir: string, private readonly listener?: (event: TrainerEvent) => void) {
    this.fd = fs.openSync(path.join(runDir, RUN_FILES.events), 'a');
  }

  write(event: TrainerEvent): void {
    // One write per line: an interrupted run leaves at most one torn line, which readers skip.
    fs.writeSync(this.fd, `${JSON.stringify(event)}\n`);
    this.listener?.(event);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export function readRunEvents(runDir: string): TrainerEvent[] {
  const file = path.join(runDir, RUN_FILES.events);
  return fs.existsSync(file) ? parseEvents(fs.readFileSync(file, 'utf8')) : [];
}

/** The newest `checkpoint-<step>` folder that holds a complete trainer state, if any. */
export function latestCheckpoint(runDir: string): { dir: string; step: number } | undefined {
  if (!fs.existsSync(runDir)) return undefined;
  const steps = fs.readdirSync(runDir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(runDir, m[0], RUN_FILES.state)))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  return steps.length > 0 ? { dir: path.join(runDir, checkpointName(steps[0]!)), step: steps[0]! } : undefined;
}

/**
 * Marks the folder as being written by this process (`trainer.pid`) until it exits, so an editor
 * that opens the folder later can tell a run that is still going from one that was interrupted.
 */
export function markTrainerProcess(runDir: string): () => void {
  const file = path.join(runDir, RUN_FILES.pid);
  writeFileAtomic(file, `${process.pid}\n`);
  const remove = (): void => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', remove);
  return () => {
    process.off('exit', remove);
    remove();
  };
}
