/**
 * Editor settings, declared in package.json (`contributes.configuration`) and read only here.
 * Dataset settings (model, template, max_length, rules) live in sft-studio.json instead, so the
 * editor, the CLI and the trainer agree.
 */
import * as vscode from 'vscode';

export interface EditorSettings {
  /** Check .sft.jsonl documents as they change. */
  checkEnabled: boolean;
  /** Delay between a change and the diagnostics update. */
  debounceMs: number;
}

export function readEditorSettings(scope?: vscode.Uri): EditorSettings {
  const config = vscode.workspace.getConfiguration('sftStudio', scope);
  const debounce = config.get<number>('check.debounceMs', 150);
  return {
    checkEnabled: config.get<boolean>('check.enable', true),
    debounceMs: Number.isFinite(debounce) ? Math.min(5000, Math.max(0, debounce)) : 150,
  };
}

export function affectsEditorSettings(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration('sftStudio');
}
