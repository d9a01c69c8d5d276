/**
 * One `sft-studio train` child process, seen through the trainer protocol: events from its
 * stdout, commands to its stdin, its stderr passed on line by line and the last lines kept for a
 * failure message. Spawned without a shell (any path works as one argument) in its own process
 * group, so it outlives a reloaded editor window and a kill reaches a wrapper and its child alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { isTrainerEvent, type TrainerCommand, type TrainerEvent } from '../common/trainerProtocol';
import type { NodeRuntime } from './nodeRuntime';

export interface TrainerLaunch {
  runtime: NodeRuntime;
  /** The extension's `bin/sft-studio`. */
  cliPath: string;
  /** Arguments after `train`. */
  args: readonly string[];
  cwd: string;
}

export interface TrainerHandlers {
  onEvent(event: TrainerEvent): void;
  onStderrLine(line: string): void;
  /** After the process and its pipes closed. */
  onClose(outcome: TrainerExit): void;
}

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process was killed because it did not stop in time. */
  killedAfterStop: boolean;
  /** The last lines of its stderr, for a failure message. */
  stderrTail: string[];
  /** When it could not be started at all. */
  spawnError?: string;
}

const STDERR_TAIL_LINES = 20;

export class TrainerProcess {
  private readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private killedAfterStop = false;
  private closed = false;

  private constructor(launch: TrainerLaunch, private readonly handlers: TrainerHandlers) {
    this.child = spawn(launch.runtime.executable, [launch.cliPath, 'train', ...launch.args, '--events', 'stdout'], {
      cwd: launch.cwd,
      env: { ...process.env, ...launch.runtime.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });
    let spawnError: string | undefined;
    this.child.on('error', (error) => {
      spawnError = `could not start ${launch.runtime.executable}: ${error.message}`;
    });
    this.child.stdin!.on('error', () => undefined); // a trainer that already exited
    forEachLine(this.child.stdout!, (line) => {
      const event = parseEventLine(line);
      if (event) handlers.onEvent(event);
    });
    forEachLine(this.child.stderr!, (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      handlers.onStderrLine(line);
    });
    this.child.on('close', (code, signal) => {
      this.closed = true;
      clearTimeout(this.killTimer);
      handlers.onClose({ code, signal, killedAfterStop: this.killedAfterStop, stderrTail: [...this.stderrTail], ...(spawnError ? { spawnError } : {}) });
    });
  }

  static launch(launch: TrainerLaunch, handlers: TrainerHandlers): TrainerProcess {
    return new TrainerProcess(launch, handlers);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.closed;
  }

  send(command: TrainerCommand): void {
    if (!this.closed && this.child.stdin!.writable) this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** Asks the trainer to save and stop; kills it when it has not exited after `timeoutMs`. */
  stop(timeoutMs: number): void {
    if (this.closed) return;
    this.send({ type: 'stop' });
    this.killTimer ??= setTimeout(() => {
      this.killedAfterStop = true;
      this.kill();
    }, timeoutMs);
  }

  /** Ends the process group at once. */
  kill(): void {
    if (this.closed || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }
}

export function parseEventLine(line: string): TrainerEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isTrainerEvent(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      // A progress bar redraws with \r: keep what it drew last.
      const line = pending.slice(0, newline).split('\r').filter((part) => part.length > 0).pop() ?? '';
      pending = pending.slice(newline + 1);
      if (line.trim().length > 0) onLine(line);
      newline = pending.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (pending.trim().length > 0) onLine(pending);
    pending = '';
  });
}
