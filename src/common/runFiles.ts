/**
 * The names inside a run folder (`output_dir`), shared by the trainer that writes them and the
 * editor that reads them: `config.json` (the resolved settings), `events.ndjson` (the protocol's
 * events), `trainer.pid` (present while a trainer process writes the folder), one
 * `checkpoint-<step>/` per save, and `final/` (the PEFT adapter). Pure: no file system.
 */
export const RUN_FILES = {
  config: 'config.json',
  events: 'events.ndjson',
  final: 'final',
  state: 'trainer_state.json',
  /** The trainer's process id, written when it starts and removed when it exits. */
  pid: 'trainer.pid',
} as const;

export function checkpointName(step: number): string {
  return `checkpoint-${step}`;
}
