/**
 * The editor benchmark's suite, run inside code-server's extension host by bench/editor.bench.ts:
 * activation time, the time from opening a 100,000-line dataset to its first diagnostics, the
 * latency from an edit to its diagnostic, and the longest event-loop block of the extension host
 * (monitorEventLoopDelay) while opening and while editing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { SftStudioApi } from '../../src/extension';

const EDITS = 15;

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

/** Resolves when `uri` has a diagnostic of `code` on `line` (or none, with `present` false). */
function diagnosticOnLine(uri: vscode.Uri, line: number, code: string, present: boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): boolean => vscode.languages.getDiagnostics(uri).some((d) => d.range.start.line === line && codeOf(d) === code) === present;
    if (check()) return resolve();
    const listener = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((u) => u.toString() === uri.toString()) && check()) {
        listener.dispose();
        resolve();
      }
    });
  });
}

/** With `profile` in the run info, a CPU profile of the extension host is written there. */
async function startProfile(root: string): Promise<(() => Promise<void>) | undefined> {
  const info = JSON.parse(fs.readFileSync(path.join(root, '.editor-run.json'), 'utf8')) as { profile?: string };
  if (!info.profile) return undefined;
  const inspector = await import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method: string): Promise<unknown> => new Promise((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    fs.writeFileSync(info.profile!, JSON.stringify(profile));
    session.disconnect();
  };
}

export async function run(): Promise<void> {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const stopProfile = await startProfile(root);
  const extension = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'sft-studio') as vscode.Extension<SftStudioApi>;
  const api = await extension.activate();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  const doc = await vscode.workspace.openTextDocument(path.join(root, 'big', 'wordnet.sft.jsonl'));
  await vscode.window.showTextDocument(doc);
  await api.whenChecked(doc);
  const firstDiagnosticsMs = performance.now() - started;
  const openBlockMs = delay.max / 1e6;
  delay.reset();

  const latencies: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const line = Math.floor(doc.lineCount / 2) + i * 97;
    const text = doc.lineAt(line).text;
    const at = text.indexOf('"user"');
    const t0 = performance.now();
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(line, at, line, at + 6), '"usr"');
    await vscode.workspace.applyEdit(edit);
    await diagnosticOnLine(doc.uri, line, 'message/role-unknown', true);
    latencies.push(performance.now() - t0);
  }
  const editBlockMs = delay.max / 1e6;
  delay.disable();
  latencies.sort((a, b) => a - b);
  const figures = {
    activationMs: api.activationMs,
    firstDiagnosticsMs,
    editLatencyMedianMs: latencies[Math.floor(latencies.length / 2)]!,
    editLatencyMaxMs: latencies[latencies.length - 1]!,
    openBlockMs,
    editBlockMs,
    lines: doc.lineCount,
  };
  await stopProfile?.();
  await vscode.commands.executeCommand('workbench.action.files.revert');
  fs.writeFileSync(path.join(root, '.editor-test-result.json'), JSON.stringify({ passed: 1, failures: [], figures }));
}
