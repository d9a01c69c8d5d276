/**
 * The trainer's protocol, one typed vocabulary for its two channels:
 * - events, which the trainer appends to `<output_dir>/events.ndjson` (one JSON object a line)
 *   and, when launched with `--events stdout`, also writes to stdout for its parent (the editor);
 * - commands, which the parent writes to the trainer's stdin, one JSON object a line.
 * The run folder is the record: a reader that replays `events.ndjson` knows everything a live
 * listener was told. Pure types and guards; no Node, no DOM.
 */

/** Bumped when an event or command changes shape; every `started` event carries it. */
export const TRAINER_PROTOCOL_VERSION = 1;

/** Memory in bytes: the process's resident set and the backend's own accounting. */
export interface MemoryUse {
  rss: number;
  backendBytes: number;
}

/** Trainer → parent, first: what runs and on what. */
export interface StartedEvent {
  type: 'started';
  protocol: number;
  time: string;
  backend: string;
  /** Why each backend tried before this one was skipped. */
  backendSkipped: Array<{ name: string; reason: string }>;
  trainableParameters: number;
  totalParameters: number;
  dataset: { examples: number; skipped: number; trainedTokens: number; tokens: number };
  evalDataset?: { examples: number; skipped: number };
  totalSteps: number;
  /** The step this run continues from (0 unless resumed). */
  resumedFromStep: number;
}

/** Trainer → parent, every `logging_steps` optimizer steps. Loss is the mean over trained tokens. */
export interface StepEvent {
  type: 'step';
  step: number;
  epoch: number;
  loss: number;
  learning_rate: number;
  grad_norm: number;
  tokens_per_second: number;
  /** Trained tokens seen so far. */
  trained_tokens: number;
  memory: MemoryUse;
  elapsed_seconds: number;
}

/** Trainer → parent: the mean loss over the evaluation dataset's trained tokens. */
export interface EvalEvent {
  type: 'eval';
  step: number;
  epoch: number;
  eval_loss: number;
}

/** Trainer → parent: one sample generation with the adapter as it is at `step`. */
export interface SampleEvent {
  type: 'sample';
  step: number;
  prompt: string;
  output: string;
}

/** Trainer → parent: a checkpoint folder was written (relative to the run folder). */
export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  path: string;
}

/** Trainer → parent, last: how the run ended. `adapter` is the final adapter folder, when saved. */
export interface EndEvent {
  type: 'completed' | 'stopped' | 'failed';
  step: number;
  reason?: string;
  adapter?: string;
  skippedExamples: number;
  elapsed_seconds: number;
}

export type TrainerEvent = StartedEvent | StepEvent | EvalEvent | SampleEvent | CheckpointEvent | EndEvent;
export type TrainerEventType = TrainerEvent['type'];

export const TRAINER_EVENT_TYPES = ['started', 'step', 'eval', 'sample', 'checkpoint', 'completed', 'stopped', 'failed'] as const satisfies readonly TrainerEventType[];

/** Parent → trainer: save an adapter at the end of the current step and end `stopped`. */
export interface StopCommand {
  type: 'stop';
}

/** Parent → trainer: generate a sample for `prompt` (or the configured prompts) after this step. */
export interface SampleCommand {
  type: 'sample';
  prompt?: string;
}

export type TrainerCommand = StopCommand | SampleCommand;

export function isTrainerEvent(value: unknown): value is TrainerEvent {
  return !!value && typeof value === 'object' && (TRAINER_EVENT_TYPES as readonly unknown[]).includes((value as { type?: unknown }).type);
}

export function isTrainerCommand(value: unknown): value is TrainerCommand {
  if (!value || typeof value !== 'object') return false;
  const command = value as { type?: unknown; prompt?: unknown };
  return command.type === 'stop' || (command.type === 'sample' && (command.prompt === undefined || typeof command.prompt === 'string'));
}

/** Parses the lines of `events.ndjson`; a torn last line (a crash mid-write) is skipped. */
export function parseEvents(text: string): TrainerEvent[] {
  const events: TrainerEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isTrainerEvent(value)) events.push(value);
    } catch {
      // an incomplete line from an interrupted write
    }
  }
  return events;
}
