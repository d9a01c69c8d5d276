/**
 * The run panel's channel: one typed vocabulary for the messages between the extension host and
 * the run panel's webview. The webview says `ready` first (after a reload too); only then does
 * the host send the whole run (`run`), and after that the events as they arrive (`events`).
 * Pure types and guards; no Node, no DOM.
 */
import type { RunState } from './runReducer';
import type { TrainerEvent } from './trainerProtocol';

/** What the host knows of a run besides its events: where it is, what it trains, whether a process still writes it. */
export interface RunInfo {
  runDir: string;
  /** The run folder's name. */
  name: string;
  dataset: string;
  model: string;
  /** The resolved settings (`config.json`), shown as written. */
  config: Record<string, unknown>;
  /**
   * `live`: a trainer process writes the folder; `ended`: the events end the run;
   * `interrupted`: no process writes it any more and its events stop short.
   */
  liveness: 'live' | 'ended' | 'interrupted';
  /** Why an interrupted or failed run ended, with the trainer's last words when known. */
  failure?: string;
  /** Whether the folder holds a checkpoint a stopped or failed run can resume from. */
  resumable: boolean;
}

export const RUN_ACTIONS = ['stop', 'resume', 'try', 'merge', 'export', 'reveal'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export type HostToPanel =
  | { type: 'run'; info: RunInfo; state: RunState }
  | { type: 'events'; events: TrainerEvent[] }
  | { type: 'info'; info: RunInfo };

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'action'; action: RunAction }
  /** After each drawing: what is on screen, and the frame's time from the update to the last chart drawn (the editor tests and the benchmark read it). */
  | { type: 'rendered'; points: number; drawnPoints: number; samples: number; drawMs: number }
  /** The page broke its content security policy: a bug to log (and a test failure). */
  | { type: 'cspViolation'; directive: string; blocked: string };

/** The state a panel keeps across reloads (`vscode.setState`), for the serializer. */
export interface PanelState {
  runDir: string;
}

export function isPanelToHost(value: unknown): value is PanelToHost {
  if (!value || typeof value !== 'object') return false;
  const message = value as Record<string, unknown>;
  switch (message['type']) {
    case 'ready':
      return true;
    case 'action':
      return (RUN_ACTIONS as readonly unknown[]).includes(message['action']);
    case 'rendered':
      return ['points', 'drawnPoints', 'samples', 'drawMs'].every((key) => typeof message[key] === 'number');
    case 'cspViolation':
      return typeof message['directive'] === 'string' && typeof message['blocked'] === 'string';
    default:
      return false;
  }
}

export function isPanelState(value: unknown): value is PanelState {
  return !!value && typeof value === 'object' && typeof (value as { runDir?: unknown }).runDir === 'string';
}
