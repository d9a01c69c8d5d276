/**
 * "Preview Formatted Example": a webview beside the dataset that shows the example under the
 * cursor as the chat template renders it, and follows the cursor and the edits.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LANGUAGE_ID, type DatasetDiagnostics } from '../language/diagnostics';
import { previewHtml } from './previewHtml';

export const PREVIEW_VIEW_TYPE = 'sftStudio.preview';

export class ExamplePreviewPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The line shown, so moving within it does not render again. */
  private shown: { uri: string; line: number; version: number } | undefined;

  constructor(private readonly diagnostics: DatasetDiagnostics) {
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection((event) => void this.follow(event.textEditor)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        const editor = vscode.window.activeTextEditor;
        if (editor?.document === event.document) void this.follow(editor);
      }),
      diagnostics.onDidChange(() => {
        this.shown = undefined;
        if (vscode.window.activeTextEditor) void this.follow(vscode.window.activeTextEditor);
      }),
    );
  }

  /** Opens (or reveals) the preview for the active editor's example. */
  show(editor: vscode.TextEditor | undefined): vscode.WebviewPanel {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, 'Formatted Example', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.shown = undefined;
      });
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.shown = undefined;
    if (editor) void this.follow(editor);
    else this.panel.webview.html = previewHtml('no dataset', undefined, false, nonce());
    return this.panel;
  }

  private async follow(editor: vscode.TextEditor): Promise<void> {
    const doc = editor.document;
    if (!this.panel || doc.languageId !== LANGUAGE_ID) return;
    const line = editor.selection.active.line;
    const key = { uri: doc.uri.toString(), line, version: doc.version };
    if (this.shown && this.shown.uri === key.uri && this.shown.line === line && this.shown.version === key.version) return;
    this.shown = key;
    const where = `${path.basename(doc.fileName)}, line ${line + 1}`;
    const text = doc.lineAt(line).text;
    const result = text.trim().length === 0 ? undefined : await this.diagnostics.preview(doc, text);
    // Another line may have been asked for while this one was prepared.
    if (!this.panel || this.shown !== key) return;
    if (result && 'error' in result) {
      this.panel.webview.html = previewHtml(where, { ok: false, findings: [{ code: 'checks/skipped', start: 0, end: 0, message: result.error }] }, false, nonce());
      return;
    }
    this.panel.webview.html = previewHtml(where, result?.preview, result?.hasTokenizer ?? false, nonce());
    this.panel.title = `Formatted Example: line ${line + 1}`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function nonce(): string {
  return randomBytes(16).toString('hex');
}
