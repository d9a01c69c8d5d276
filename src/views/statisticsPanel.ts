/**
 * "Show Dataset Statistics": a webview beside the dataset with its counts, tokens, length
 * histogram and longest lines; each line is a link that reveals it. It waits for a first check
 * that is still running, and shows the numbers of the text as it is now.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetDiagnostics } from '../language/diagnostics';
import { statisticsHtml } from './statisticsHtml';

export const REVEAL_LINE_COMMAND = 'sftStudio.revealLine';
export const STATISTICS_VIEW_TYPE = 'sftStudio.statistics';

export async function showStatistics(diagnostics: DatasetDiagnostics, doc: vscode.TextDocument): Promise<vscode.WebviewPanel | undefined> {
  const stats = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SFT Studio: checking ${path.basename(doc.fileName)}`, cancellable: true },
    async (_progress, cancel) => ((await diagnostics.whenChecked(doc, cancel)) ? diagnostics.statistics(doc) : undefined),
  );
  if (!stats) return undefined;
  const panel = vscode.window.createWebviewPanel(STATISTICS_VIEW_TYPE, `Statistics: ${path.basename(doc.fileName)}`, vscode.ViewColumn.Beside, { enableCommandUris: [REVEAL_LINE_COMMAND], enableScripts: false });
  const link = (line: number): string => `command:${REVEAL_LINE_COMMAND}?${encodeURIComponent(JSON.stringify([doc.uri.toString(), line]))}`;
  panel.webview.html = statisticsHtml(path.basename(doc.fileName), stats, link, randomBytes(16).toString('hex'));
  return panel;
}

/** Opens a dataset at a 0-based line (the statistics view's links). */
export async function revealLine(uri: string, line: number): Promise<void> {
  const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri), { viewColumn: vscode.ViewColumn.One });
  const position = new vscode.Position(line, 0);
  editor.selection = new vscode.Selection(position, position);
  editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenter);
}
