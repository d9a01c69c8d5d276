/**
 * `sft-studio train [CONFIG] [--set section.key=value]... [--output-dir DIR] [--backend B]
 * [--resume RUN_DIR] [--events stdout]`: trains a LoRA / QLoRA adapter as the project file says.
 * Progress (loss, learning rate, tokens/s) goes to stderr, a summary at the end. With
 * `--events stdout`, stdout carries the trainer protocol's events, one JSON object a line, for
 * the editor. Commands (`{"type":"stop"}`, `{"type":"sample"}`) are read from stdin when it is a
 * pipe; SIGINT and SIGTERM also stop the run after saving.
 */
import * as path from 'node:path';
import * as readline from 'node:readline';
import { isTrainerCommand, type StartedEvent, type StepEvent } from '../../common/trainerProtocol';
import { BACKEND_REQUESTS, describeBackend, initBackend } from '../../trainer/backend';
import { EventLog, markTrainerProcess } from '../../trainer/runFolder';
import { runTraining } from '../../trainer/train/loop';
import { prepareTraining } from '../../trainer/train/trainSetup';
import { choiceFlag, flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

const USAGE = 'usage: sft-studio train [CONFIG] [--set section.key=value]... [--output-dir DIR] [--backend B] [--resume RUN_DIR] [--events stdout]';

export async function runTrain(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    set: { value: true, repeat: true }, 'output-dir': { value: true }, backend: { value: true }, resume: { value: true }, events: { value: true },
  });
  if (args.positionals.length > 1) throw new UsageError(USAGE);
  const backendRequest = choiceFlag(args, 'backend', BACKEND_REQUESTS, 'auto');
  const eventsToStdout = choiceFlag(args, 'events', ['none', 'stdout'] as const, 'none') === 'stdout';
  const resume = flag(args, 'resume');
  if (resume && (args.positionals.length > 0 || args.flags.has('set') || args.flags.has('output-dir'))) {
    throw new UsageError('--resume continues a run with the settings saved in its folder: pass no CONFIG, --set or --output-dir with it');
  }
  const outputDir = flag(args, 'output-dir');
  const setup = prepareTraining({
    ...(args.positionals[0] ? { configFile: args.positionals[0] } : {}),
    sets: args.flags.get('set') ?? [],
    ...(outputDir ? { outputDir } : {}),
    ...(resume ? { resume } : {}),
    cwd: process.cwd(),
  });
  const unmarkTrainerProcess = markTrainerProcess(setup.runDir);
  const backend = await initBackend(backendRequest);
  io.stderr(`${describeBackend(backend)}\n`);
  io.stderr(`run folder: ${setup.runDir}\n`);

  let stopRequested = false;
  const sampleRequests: string[] = [];
  const requestStop = (): void => {
    if (!stopRequested) io.stderr('\nstopping: saving the adapter after this step (press Ctrl+C again to quit at once)\n');
    else process.exit(130);
    stopRequested = true;
  };
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  const commands = process.stdin.isTTY ? undefined : readline.createInterface({ input: process.stdin });
  commands?.on('line', (line) => {
    let command: unknown;
    try {
      command = JSON.parse(line);
    } catch {
      command = undefined;
    }
    if (!isTrainerCommand(command)) {
      io.stderr(`ignored a command that is not {"type": "stop"} or {"type": "sample", "prompt"?}: ${line.slice(0, 80)}\n`);
    } else if (command.type === 'stop') {
      requestStop();
    } else {
      sampleRequests.push(...(command.prompt !== undefined ? [command.prompt] : setup.config.samples.prompts));
    }
  });

  const events = new EventLog(setup.runDir, (event) => {
    if (eventsToStdout) io.stdout(`${JSON.stringify(event)}\n`);
    if (event.type === 'started') io.stderr(`${startedSummary(event)}\n`);
  });
  const progress = new ProgressLine(io);
  try {
    const outcome = await runTraining({
      config: setup.config, modelDir: setup.modelDir, context: setup.context, runDir: setup.runDir, events, backend,
      ...(setup.resumeFrom ? { resumeFrom: setup.resumeFrom } : {}),
      shouldStop: () => stopRequested,
      takeSampleRequests: () => sampleRequests.splice(0),
      onStep: (event, total) => progress.update(event, total),
    });
    progress.done();
    const relative = path.relative(process.cwd(), outcome.adapterDir) || '.';
    const skipped = outcome.dataset.skipped;
    io.stderr([
      `${outcome.status === 'completed' ? 'trained' : 'stopped at'} step ${outcome.step}: ${outcome.dataset.examples.length} examples${skipped.length > 0 ? `, ${skipped.length} lines skipped (first: line ${skipped[0]!.line + 1}, ${skipped[0]!.finding.code})` : ''}`,
      `adapter: ${relative} (PEFT: adapter_config.json + adapter_model.safetensors)`,
      `try it:  sft-studio generate --model ${shellWord(path.relative(process.cwd(), setup.modelDir) || '.')} --adapter ${shellWord(relative)} --prompt "..."`,
      `merge:   sft-studio merge --model ${shellWord(path.relative(process.cwd(), setup.modelDir) || '.')} --adapter ${shellWord(relative)} --out merged-model`,
      '',
    ].join('\n'));
    return 0;
  } catch (error) {
    progress.done();
    events.write({ type: 'failed', step: 0, reason: error instanceof Error ? error.message : String(error), skippedExamples: 0, elapsed_seconds: 0 });
    throw error;
  } finally {
    unmarkTrainerProcess();
    events.close();
    commands?.close();
    process.stdin.destroy();
    process.off('SIGINT', requestStop);
    process.off('SIGTERM', requestStop);
  }
}

/** What a run trains on, with peft's print_trainable_parameters line. */
function startedSummary(event: StartedEvent): string {
  const { dataset } = event;
  const share = ((100 * event.trainableParameters) / event.totalParameters).toFixed(4);
  return [
    `trainable params: ${event.trainableParameters.toLocaleString('en-US')} || all params: ${event.totalParameters.toLocaleString('en-US')} || trainable%: ${share}`,
    `dataset: ${dataset.examples} examples, ${dataset.tokens} tokens (${dataset.trainedTokens} trained)${dataset.skipped > 0 ? `, ${dataset.skipped} lines skipped` : ''}; ${event.totalSteps} steps${event.resumedFromStep > 0 ? `, resuming after step ${event.resumedFromStep}` : ''}`,
  ].join('\n');
}

/** One line of progress on a terminal (redrawn), one line per logged step otherwise. */
class ProgressLine {
  private drawn = false;

  constructor(private readonly io: CliIo) {}

  update(event: StepEvent, total: number): void {
    const width = 24;
    const filled = Math.round((event.step / total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const text = `${bar} step ${event.step}/${total}  epoch ${event.epoch.toFixed(2)}  loss ${event.loss.toFixed(4)}  lr ${event.learning_rate.toExponential(2)}  ${Math.round(event.tokens_per_second)} tok/s`;
    if (this.io.stderrIsTerminal) {
      this.io.stderr(`\r${text}\x1b[K`);
      this.drawn = true;
    } else {
      this.io.stderr(`${text}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.io.stderr('\n');
    this.drawn = false;
  }
}

function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
