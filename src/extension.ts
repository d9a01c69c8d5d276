/** Extension entry point: wires the editor features together and nothing else. */
import * as vscode from 'vscode';
import { DatasetDiagnostics } from './language/diagnostics';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('SFT Studio', { log: true });
  const diagnostics = new DatasetDiagnostics(log);
  context.subscriptions.push(
    log,
    diagnostics,
    vscode.commands.registerCommand('sftStudio.recheckDataset', () => diagnostics.reloadAll()),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
