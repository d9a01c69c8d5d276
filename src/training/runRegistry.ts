/**
 * The runs the editor knows: the ones it launched (events from the trainer's stdout) and the ones
 * it found in run folders (replayed from `events.ndjson`, then followed while a trainer process
 * still writes them, as after a window reload). Every change is folded into the run's state and
 * told to listeners (the tree, the panels, the status bar). No `vscode` here, so the process and
 * file handling is tested in plain Node.
 */
import * as path from 'node:path';
import { RUN_FILES } from '../common/runFiles';
import type { RunInfo } from '../common/runPanelProtocol';
import { emptyRunState, foldEvent, type RunState } from '../common/runReducer';
import type { EndEvent, TrainerEvent } from '../common/trainerProtocol';
import { appendEvent, EventFileReader, hasCheckpoint, liveTrainerPid, processAlive, readRunConfig } from './runFolder';
import { TrainerProcess, type TrainerExit, type TrainerLaunch } from './trainerProcess';

export interface RunChange {
  run: TrainingRun;
  /** Events folded in by this change, in order. */
  events: TrainerEvent[];
  removed?: boolean;
}

export interface RegistryOptions {
  /** How often runs written by another process are read again. */
  pollMs: number;
  /** How long a stopped trainer may take to save before it is killed. */
  stopTimeoutMs: () => number;
  /** The trainer's stderr and the registry's own notes (the output channel). */
  log: (line: string) => void;
}

export class TrainingRun {
  state: RunState = emptyRunState();
  info: RunInfo;
  /** The trainer this editor launched, while it runs. */
  process: TrainerProcess | undefined;
  /** The process id of a trainer started elsewhere (another window, the CLI) that still writes the folder. */
  otherPid: number | undefined;
  readonly reader: EventFileReader;
  /** Events this launch's trainer sent over stdout (the file holds them too). */
  eventsFromProcess = 0;

  constructor(readonly runDir: string, fallback: { dataset: string; model: string }) {
    const config = readRunConfig(runDir);
    this.reader = new EventFileReader(path.join(runDir, RUN_FILES.events));
    this.info = {
      runDir, name: path.basename(runDir), config,
      dataset: typeof config['dataset'] === 'string' ? config['dataset'] : fallback.dataset,
      model: typeof config['model'] === 'string' ? config['model'] : fallback.model,
      liveness: 'ended', resumable: false,
    };
  }

  get live(): boolean {
    return this.info.liveness === 'live';
  }

  /** Folds events in; returns them for the change notice. */
  fold(events: readonly TrainerEvent[]): TrainerEvent[] {
    for (const event of events) foldEvent(this.state, event);
    return [...events];
  }

  /** Re-reads what the folder says beyond the events: settings (written once the trainer set up) and checkpoints. */
  refreshInfo(liveness: RunInfo['liveness'], failure?: string): void {
    const config = readRunConfig(this.runDir);
    if (Object.keys(config).length > 0) {
      this.info.config = config;
      if (typeof config['dataset'] === 'string') this.info.dataset = config['dataset'];
      if (typeof config['model'] === 'string') this.info.model = config['model'];
    }
    this.info.liveness = liveness;
    const reason = failure ?? (this.state.status === 'failed' ? this.state.end?.reason : undefined);
    if (reason !== undefined) this.info.failure = reason;
    else delete this.info.failure;
    this.info.resumable = liveness !== 'live' && this.state.status !== 'completed' && hasCheckpoint(this.runDir);
  }
}

export const INTERRUPTED_MESSAGE = 'The trainer process ended without finishing the run (it was killed, or the machine or editor shut down while it ran).';

export class RunRegistry {
  private readonly runs = new Map<string, TrainingRun>();
  private readonly listeners = new Set<(change: RunChange) => void>();
  private readonly poller: NodeJS.Timeout;

  constructor(private readonly options: RegistryOptions) {
    this.poller = setInterval(() => this.pollOtherProcesses(), options.pollMs);
    this.poller.unref();
  }

  onChange(listener: (change: RunChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Newest first. */
  list(): TrainingRun[] {
    const startedAt = (run: TrainingRun): string => run.state.started?.time ?? run.info.name;
    return [...this.runs.values()].sort((a, b) => startedAt(b).localeCompare(startedAt(a)));
  }

  get(runDir: string): TrainingRun | undefined {
    return this.runs.get(path.resolve(runDir));
  }

  /** Opens a run folder found on disk: replays its events and follows it while its trainer lives. */
  open(runDir: string): TrainingRun {
    const dir = path.resolve(runDir);
    const known = this.runs.get(dir);
    if (known) return known;
    const run = new TrainingRun(dir, { dataset: '', model: '' });
    this.runs.set(dir, run);
    run.fold(run.reader.read());
    const pid = run.state.end ? undefined : liveTrainerPid(dir);
    if (pid !== undefined) run.otherPid = pid;
    run.refreshInfo(run.state.end ? 'ended' : pid !== undefined ? 'live' : 'interrupted', run.state.end || pid !== undefined ? undefined : INTERRUPTED_MESSAGE);
    this.emit({ run, events: [] });
    return run;
  }

  /** Launches a trainer that writes `runDir` (passed to it as `--output-dir`, or the folder it resumes). */
  launch(runDir: string, launch: TrainerLaunch, shown: { dataset: string; model: string }): TrainingRun {
    const dir = path.resolve(runDir);
    const previous = this.runs.get(dir);
    if (previous?.live) throw new Error(`${dir} is still training: stop it first`);
    const run = previous ?? new TrainingRun(dir, shown);
    this.runs.set(dir, run);
    if (previous) run.reader.read(); // the resumed folder's history is already folded; follow from its end
    run.info.liveness = 'live';
    run.eventsFromProcess = 0;
    delete run.info.failure;
    run.process = TrainerProcess.launch(launch, {
      onEvent: (event) => {
        if (event.type === 'started') run.refreshInfo('live');
        run.eventsFromProcess++;
        this.emit({ run, events: run.fold([event]) });
      },
      onStderrLine: (line) => this.options.log(`[${run.info.name}] ${line}`),
      onClose: (exit) => this.processClosed(run, exit),
    });
    this.options.log(`[${run.info.name}] started ${launch.runtime.executable} ${launch.cliPath} train ${launch.args.join(' ')} (pid ${run.process.pid ?? '?'})`);
    this.emit({ run, events: [] });
    return run;
  }

  /** Asks the run's trainer to save and stop, then kills it after the stop timeout. */
  stop(run: TrainingRun): void {
    if (run.process) {
      run.process.stop(this.options.stopTimeoutMs());
    } else if (run.otherPid !== undefined) {
      // A trainer from another window or the CLI: SIGTERM is its cooperative stop.
      const pid = run.otherPid;
      signal(pid, 'SIGTERM');
      setTimeout(() => {
        if (processAlive(pid) && run.otherPid === pid) signal(pid, 'SIGKILL');
      }, this.options.stopTimeoutMs()).unref();
    }
  }

  /** Forgets a run (its folder was deleted). */
  remove(run: TrainingRun): void {
    run.process?.kill();
    this.runs.delete(run.runDir);
    this.emit({ run, events: [], removed: true });
  }

  dispose(): void {
    clearInterval(this.poller);
    this.listeners.clear();
  }

  private processClosed(run: TrainingRun, exit: TrainerExit): void {
    run.process = undefined;
    // The trainer writes each event to the file before stdout: one it wrote as it died is only in the file.
    const events = run.fold(run.reader.read().slice(run.eventsFromProcess));
    if (run.state.end) {
      run.refreshInfo('ended');
      this.emit({ run, events });
      return;
    }
    const lastStep = run.state.steps[run.state.steps.length - 1]?.step ?? run.state.started?.resumedFromStep ?? 0;
    const elapsed = run.state.steps[run.state.steps.length - 1]?.elapsedSeconds ?? 0;
    const end: EndEvent = exit.killedAfterStop
      ? { type: 'stopped', step: lastStep, reason: `It did not stop within ${Math.round(this.options.stopTimeoutMs() / 1000)} s and was ended; nothing was saved at this step (resume from the last checkpoint).`, skippedExamples: 0, elapsed_seconds: elapsed }
      : { type: 'failed', step: lastStep, reason: failureReason(exit), skippedExamples: 0, elapsed_seconds: elapsed };
    // The folder is the record: a window opened later reads the same ending.
    try {
      appendEvent(run.runDir, end);
    } catch (error) {
      this.options.log(`[${run.info.name}] could not record the run's end in ${run.runDir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    run.reader.read(); // skip the line just written
    this.emit({ run, events: run.fold([end]) });
    run.refreshInfo('ended');
    this.emit({ run, events: [] });
  }

  private pollOtherProcesses(): void {
    for (const run of this.runs.values()) {
      if (run.otherPid === undefined) continue;
      const events = run.fold(run.reader.read());
      if (run.state.end) {
        run.otherPid = undefined;
        run.refreshInfo('ended');
      } else if (!processAlive(run.otherPid)) {
        run.otherPid = undefined;
        events.push(...run.fold(run.reader.read()));
        run.refreshInfo(run.state.end ? 'ended' : 'interrupted', run.state.end ? undefined : INTERRUPTED_MESSAGE);
      } else if (events.length === 0) {
        continue;
      } else if (events.some((event) => event.type === 'started')) {
        run.refreshInfo('live');
      }
      this.emit({ run, events });
    }
  }

  private emit(change: RunChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function failureReason(exit: TrainerExit): string {
  if (exit.spawnError) return `The trainer could not be started: ${exit.spawnError}. Set sftStudio.nodePath to a Node.js 20 or newer.`;
  const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
  const tail = exit.stderrTail.filter((line) => line.trim().length > 0).slice(-6);
  return `The trainer ${how} before the run ended.${tail.length > 0 ? ` Its last output:\n${tail.join('\n')}` : ''}`;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
