/**
 * Dawn, the native library behind the WebGPU backend, prints adapter notes such as
 * "Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16"
 * straight to file descriptor 2, where no JavaScript can intercept them. The model commands that
 * may start Dawn therefore run in a child process whose standard error passes through a filter
 * that drops those lines; everything else, progress bars included, passes through as it comes.
 * Standard input, standard output and signals reach the child unchanged.
 */
import { spawn } from 'node:child_process';
import { hasLinuxGpuDevice } from '../trainer/gpuDevice';

/** Set in the child, so it runs the command itself. */
const CHILD_MARK = 'SFT_STUDIO_FILTERED_STDERR';
/** Tells the child its standard error ends at a terminal, so progress bars stay live. */
export const STDERR_TTY_ENV = 'SFT_STUDIO_STDERR_TTY';

const MODEL_COMMANDS = new Set(['train', 'generate', 'forward']);

/** Dawn's lines: "Warning: ..." as its logger writes them. SFT Studio never writes one. */
const NATIVE_WARNING = /^Warning: /;

/** Whether this command line may start Dawn: a model command asking for WebGPU, or `auto` where a GPU device exists. */
export function mayStartDawn(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[CHILD_MARK] === '1' || !MODEL_COMMANDS.has(argv[0] ?? '')) return false;
  const at = argv.findIndex((arg) => arg === '--backend' || arg.startsWith('--backend='));
  const backend = at < 0 ? 'auto' : argv[at]!.includes('=') ? argv[at]!.slice(argv[at]!.indexOf('=') + 1) : argv[at + 1];
  if (backend === 'webgpu') return true;
  if (backend !== 'auto') return false;
  return process.platform !== 'linux' || hasLinuxGpuDevice();
}

/** A line filter over a stream of text: whole lines are checked, an unfinished line passes at once unless it may be a warning. */
export function nativeWarningFilter(write: (text: string) => void): { push(text: string): void; end(): void } {
  let pending = '';
  return {
    push(text) {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline + 1);
        pending = pending.slice(newline + 1);
        if (!NATIVE_WARNING.test(line)) write(line);
        newline = pending.indexOf('\n');
      }
      // A progress bar redraws with \r and no newline: pass it on now, unless it could still become a warning.
      if (pending.length > 0 && !'Warning: '.startsWith(pending.slice(0, 9)) && !NATIVE_WARNING.test(pending)) {
        write(pending);
        pending = '';
      }
    },
    end() {
      if (pending.length > 0 && !NATIVE_WARNING.test(pending)) write(pending);
      pending = '';
    },
  };
}

/** Runs `script argv` in a child process with Dawn's warnings filtered from its standard error; resolves to its exit code. */
export function runWithNativeWarningsFiltered(script: string, argv: readonly string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_MARK]: '1' };
  if (process.stderr.isTTY) {
    env[STDERR_TTY_ENV] = '1';
    env['COLUMNS'] ??= String(process.stderr.columns ?? 80);
  }
  const child = spawn(process.execPath, [script, ...argv], { stdio: ['inherit', 'inherit', 'pipe'], env });
  const filter = nativeWarningFilter((text) => void process.stderr.write(text));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => filter.push(text));
  // Ctrl+C reaches the child through the terminal; a signal sent to this process alone is passed on.
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}
