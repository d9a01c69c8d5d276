/** What the training commands share: the runs, their panels, the checker, the output channel, and the settings that say how to launch. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetDiagnostics } from '../language/diagnostics';
import type { RunPanels } from '../views/runPanel';
import { findNodeRuntime, type NodeRuntime } from './nodeRuntime';
import type { RunRegistry } from './runRegistry';

export interface TrainingHost {
  registry: RunRegistry;
  panels: RunPanels;
  diagnostics: DatasetDiagnostics;
  log: vscode.LogOutputChannel;
  /** The extension's `bin/sft-studio`. */
  cliPath: string;
}

export function trainingSettings(): { runtime: NodeRuntime; backend: string; stopTimeoutMs: number } {
  const config = vscode.workspace.getConfiguration('sftStudio');
  return {
    runtime: findNodeRuntime(config.get<string>('nodePath')),
    backend: config.get<string>('training.backend') ?? 'auto',
    stopTimeoutMs: 1000 * (config.get<number>('training.stopTimeoutSeconds') ?? 60),
  };
}

export const cliPathOf = (extensionUri: vscode.Uri): string => path.join(extensionUri.fsPath, 'bin', 'sft-studio');

/**
 * In Restricted Mode nothing is spawned: training runs a process that reads model files and code
 * paths from this workspace. Says so, with the way out, and returns false.
 */
export function trainingAllowed(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    'SFT Studio: training is unavailable in Restricted Mode. It starts a trainer process that reads the model and settings named in this workspace; trust the workspace to train.',
    'Manage Workspace Trust',
  ).then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
