/**
 * Runs one of the CLI's model commands (`generate`, `merge`, `export-gguf`) as a plain Node child
 * process, never in the extension host: no shell, its stderr to the output channel, and cancel
 * ends it. Resolves with its stdout, or rejects with an Error whose message is the CLI's own.
 */
import { spawn } from 'node:child_process';
import type { NodeRuntime } from './nodeRuntime';

export interface CliTask {
  runtime: NodeRuntime;
  cliPath: string;
  args: readonly string[];
  cwd: string;
  log: (line: string) => void;
  /** Aborting ends the process. */
  signal?: AbortSignal;
}

export function runCliTask(task: CliTask): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(task.runtime.executable, [task.cliPath, ...task.args], {
      cwd: task.cwd, env: { ...process.env, ...task.runtime.env }, stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true,
    });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (text: string) => out.push(text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      err.push(text);
      for (const line of text.split('\n')) if (line.trim().length > 0) task.log(line);
    });
    const abort = (): void => void child.kill('SIGTERM');
    task.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => reject(new Error(`could not start ${task.runtime.executable}: ${error.message}`)));
    child.on('close', (code, signal) => {
      task.signal?.removeEventListener('abort', abort);
      if (code === 0) return resolve(out.join(''));
      if (task.signal?.aborted) return reject(new Error('cancelled'));
      const message = err.join('').split('\n').map((line) => line.replace(/^sft-studio: /, '').trim()).filter((line) => line.length > 0 && !line.startsWith('at ')).slice(-3).join(' ');
      reject(new Error(message || `sft-studio ${task.args[0] ?? ''} ${signal ? `was ended by ${signal}` : `exited with ${code}`}`));
    });
  });
}
