/**
 * "Check All Datasets in Workspace": every `.sft.jsonl` file, open or not, is checked by the
 * command-line checker in a child process (so the extension host never blocks on it), one run per
 * project file. Files that are open keep their live diagnostics; the others get these.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findProjectFile } from '../dataset/load/checkSetup';
import type { Finding, Severity } from '../dataset/rules';
import { setupDiagnostic, toDiagnostic } from './convert';
import { LANGUAGE_ID } from './diagnostics';

/** One finding as `sft-studio check --format json` writes it (1-based lines and columns). */
interface CliFinding {
  file: string;
  line: number;
  column: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  related?: { line: number; message: string };
}

type CheckResult = { findings: CliFinding[] } | { setupError: string };

export class WorkspaceCheck implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('sft-studio-workspace');
  private readonly disposables: vscode.Disposable[] = [this.collection];

  /** `cliPath` is the extension's own `bin/sft-studio`, run with this process's Node. */
  constructor(private readonly cliPath: string, private readonly ruleLink: (code: string) => vscode.Uri | undefined, private readonly log: vscode.LogOutputChannel) {
    // An opened dataset is checked live; its workspace diagnostics would only repeat them.
    this.disposables.push(vscode.workspace.onDidOpenTextDocument((doc) => {
      if (doc.languageId === LANGUAGE_ID) this.collection.delete(doc.uri);
    }));
  }

  /** Checks every dataset in the workspace; resolves with the number of files and of errors found. */
  async run(): Promise<{ files: number; errors: number } | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'SFT Studio: checking all datasets', cancellable: true }, async (progress, cancel) => {
      const files = await vscode.workspace.findFiles('**/*.sft.jsonl', '**/node_modules/**');
      const open = new Set(vscode.workspace.textDocuments.filter((d) => d.languageId === LANGUAGE_ID).map((d) => d.uri.fsPath));
      const groups = new Map<string, string[]>();
      for (const file of files) {
        const key = findProjectFile(path.dirname(file.fsPath)) ?? path.dirname(file.fsPath);
        groups.set(key, [...(groups.get(key) ?? []), file.fsPath]);
      }
      this.collection.clear();
      let errors = 0;
      const publish = (group: readonly string[], result: CheckResult): void => {
        if ('setupError' in result) {
          for (const file of group) if (!open.has(file)) this.collection.set(vscode.Uri.file(file), [setupDiagnostic(result.setupError)]);
          errors += group.length;
          return;
        }
        const byFile = new Map<string, vscode.Diagnostic[]>(group.map((file) => [file, []]));
        for (const finding of result.findings) {
          if (finding.severity === 'error') errors++;
          byFile.get(finding.file)?.push(toDiagnostic(toFinding(finding), vscode.Uri.file(finding.file), this.ruleLink));
        }
        for (const [file, diagnostics] of byFile) if (!open.has(file)) this.collection.set(vscode.Uri.file(file), diagnostics);
      };
      // One run for every file: each setup (tokenizer, template) is loaded once. A broken
      // project file stops that run, so then each project is checked on its own.
      const all = files.map((f) => f.fsPath);
      // The workspace folders rather than every file: no command line grows with the workspace.
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      const together = await this.checkFiles(folders.length > 0 ? folders : all, cancel);
      if (!('setupError' in together)) publish(all, together);
      else {
        let done = 0;
        for (const group of groups.values()) {
          if (cancel.isCancellationRequested) return undefined;
          progress.report({ message: `${done} of ${files.length} files`, increment: (group.length / Math.max(1, files.length)) * 100 });
          publish(group, await this.checkFiles(group, cancel));
          done += group.length;
        }
      }
      if (cancel.isCancellationRequested) return undefined;
      return { files: files.length, errors };
    });
  }

  /** Runs `sft-studio check --format json` on files. */
  private checkFiles(files: readonly string[], cancel: vscode.CancellationToken): Promise<CheckResult> {
    return new Promise((resolve) => {
      // ELECTRON_RUN_AS_NODE makes VS Code's own executable run the CLI as plain Node.
      const child = spawn(process.execPath, [this.cliPath, 'check', '--format', 'json', ...files], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      const cancelled = cancel.onCancellationRequested(() => child.kill());
      child.on('error', (error) => resolve({ setupError: `Cannot run the checker: ${error.message}` }));
      child.on('close', (code) => {
        cancelled.dispose();
        const stderr = Buffer.concat(err).toString('utf8').trim();
        if (code !== 0 && code !== 1) {
          this.log.error(`sft-studio check exited with ${code}: ${stderr}`);
          resolve({ setupError: stderr || `the checker exited with code ${code}` });
          return;
        }
        try {
          resolve({ findings: JSON.parse(Buffer.concat(out).toString('utf8')) as CliFinding[] });
        } catch (error) {
          resolve({ setupError: `Cannot read the checker's output: ${error instanceof Error ? error.message : String(error)}` });
        }
      });
    });
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function toFinding(json: CliFinding): Finding {
  const finding: Finding = { code: json.code as Finding['code'], message: json.message, severity: json.severity, line: json.line - 1, start: json.column - 1, end: json.endColumn - 1 };
  if (json.related) finding.related = { line: json.related.line - 1, message: json.related.message };
  return finding;
}
