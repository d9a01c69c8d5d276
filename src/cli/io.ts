import { STDERR_TTY_ENV } from './nativeWarnings';

/** The CLI's connection to the outside world, injectable so commands can be run in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  stderrIsTerminal: boolean;
  stdoutIsTerminal: boolean;
  /** Read by `check -`. */
  stdin: NodeJS.ReadableStream;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  // A parent that filters this process's standard error says when that ends at a terminal.
  stderrIsTerminal: process.stderr.isTTY === true || process.env[STDERR_TTY_ENV] === '1',
  stdoutIsTerminal: process.stdout.isTTY === true,
  get stdin() {
    return process.stdin;
  },
};
