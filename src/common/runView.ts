/**
 * What the runs tree, the status bar, the run panel and the comparison view say about a run,
 * derived from its folded state: last loss, duration, ETA, and the differences between runs.
 * Pure: no Node, no DOM.
 */
import type { RunInfo } from './runPanelProtocol';
import type { RunState, RunStatus } from './runReducer';

/** The status a reader shows: a run whose events stop short and that no process writes any more has failed. */
export function shownStatus(state: RunState, info: Pick<RunInfo, 'liveness'>): RunStatus {
  return info.liveness === 'interrupted' && (state.status === 'running' || state.status === 'starting') ? 'failed' : state.status;
}

export function lastLoss(state: RunState): number | undefined {
  return state.steps[state.steps.length - 1]?.loss;
}

/** Seconds the run has trained, by its own clock. */
export function durationSeconds(state: RunState): number {
  return state.end?.elapsed_seconds ?? state.steps[state.steps.length - 1]?.elapsedSeconds ?? 0;
}

/** Seconds left at the pace of the steps since the run (re)started; undefined before two steps. */
export function etaSeconds(state: RunState): number | undefined {
  const total = state.started?.totalSteps;
  const steps = state.steps;
  if (total === undefined || state.end || steps.length < 2) return undefined;
  // The first step logged since the run (re)started; no copy of a long curve (the panel asks every frame).
  const resumedFrom = state.started?.resumedFromStep ?? 0;
  let firstIndex = steps.length - 1;
  while (firstIndex > 0 && steps[firstIndex - 1]!.step > resumedFrom) firstIndex--;
  const first = steps[firstIndex]!;
  const last = steps[steps.length - 1]!;
  if (last === first) return undefined;
  const perStep = (last.elapsedSeconds - first.elapsedSeconds) / Math.max(1, last.step - first.step);
  return Math.max(0, (total - last.step) * perStep);
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "step 12/40 · loss 1.234" for the status bar and the tree. */
export function progressText(state: RunState): string {
  const step = state.steps[state.steps.length - 1]?.step ?? state.started?.resumedFromStep ?? 0;
  const total = state.started?.totalSteps;
  const loss = lastLoss(state);
  return `step ${step}${total ? `/${total}` : ''}${loss !== undefined ? ` · loss ${loss.toFixed(3)}` : ''}`;
}

/** The tree item's description: dataset, model, last loss, duration. */
export function runDescription(state: RunState, info: RunInfo): string {
  const loss = lastLoss(state);
  return [basename(info.dataset), basename(info.model), loss !== undefined ? `loss ${loss.toFixed(3)}` : undefined, state.steps.length > 0 || state.end ? formatDuration(durationSeconds(state)) : undefined]
    .filter((part) => part !== undefined && part.length > 0).join(' · ');
}

export function basename(file: string): string {
  const parts = file.split(/[\\/]/).filter((part) => part.length > 0);
  return parts[parts.length - 1] ?? file;
}

/** One run as the comparison view takes it. */
export interface ComparedRun {
  name: string;
  config: Record<string, unknown>;
  state: RunState;
  /** Size of the final adapter's files, when it was saved. */
  adapterBytes?: number;
}

export interface RunComparison {
  /** Settings that differ between the runs, by dotted name, with each run's value as JSON. */
  differences: Array<{ setting: string; values: string[] }>;
  /** One row per measure, one column per run. */
  measures: Array<{ measure: string; values: string[] }>;
}

/** Settings that always differ between runs and say nothing about how they trained. */
const NOT_COMPARED = new Set(['output_dir']);

export function compareRuns(runs: readonly ComparedRun[]): RunComparison {
  const flat = runs.map((run) => flatten(run.config));
  const settings = [...new Set(flat.flatMap((f) => [...f.keys()]))].filter((key) => !NOT_COMPARED.has(key)).sort();
  const differences = settings
    .map((setting) => ({ setting, values: flat.map((f) => f.get(setting) ?? '—') }))
    .filter((row) => new Set(row.values).size > 1);
  const column = (value: (run: ComparedRun) => string | undefined): string[] => runs.map((run) => value(run) ?? '—');
  const measures = [
    { measure: 'status', values: column((run) => run.state.status) },
    { measure: 'steps', values: column((run) => String(run.state.steps[run.state.steps.length - 1]?.step ?? 0)) },
    { measure: 'final loss', values: column((run) => lastLoss(run.state)?.toFixed(4)) },
    { measure: 'final eval loss', values: column((run) => run.state.evals[run.state.evals.length - 1]?.loss.toFixed(4)) },
    { measure: 'trainable parameters', values: column((run) => run.state.started?.trainableParameters.toLocaleString('en-US')) },
    { measure: 'peak memory (RSS)', values: column((run) => (run.state.peakRss > 0 ? formatBytes(run.state.peakRss) : undefined)) },
    { measure: 'speed (median tokens/s)', values: column((run) => median(run.state.steps.map((s) => s.tokensPerSecond))?.toFixed(0)) },
    { measure: 'duration', values: column((run) => formatDuration(durationSeconds(run.state))) },
    { measure: 'adapter size', values: column((run) => (run.adapterBytes !== undefined ? formatBytes(run.adapterBytes) : undefined)) },
  ];
  return { differences, measures };
}

function flatten(value: Record<string, unknown>, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) flatten(inner as Record<string, unknown>, name, into);
    else into.set(name, JSON.stringify(inner));
  }
  return into;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Tick labels that stay short and distinct for learning rates (2e-4) and token counts alike. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const size = Math.abs(value);
  if (size < 0.01 || size >= 1e6) return value.toExponential(1).replace('e-', 'e−');
  if (size >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}
