/** Helpers of the real-editor suite: waiting on editor events, opening datasets, screenshots. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SftStudioApi } from '../../../src/extension';

export type EditorTest = [name: string, body: () => Promise<void>];

export const workspaceRoot = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

/** Resolves once the diagnostics of `uri` satisfy `predicate`, or fails after `timeoutMs`. */
export function diagnosticsWhere(uri: vscode.Uri, predicate: (d: readonly vscode.Diagnostic[]) => boolean, what: string, timeoutMs = 20_000): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const current = vscode.languages.getDiagnostics(uri);
      if (!predicate(current)) return false;
      cleanup();
      resolve(current);
      return true;
    };
    const listener = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      const seen = vscode.languages.getDiagnostics(uri).map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${codeOf(d)}`);
      reject(new Error(`timed out waiting for ${what}; diagnostics now: ${JSON.stringify(seen)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      listener.dispose();
    };
    check();
  });
}

/** A diagnostic's rule code, whether or not it links to the rule's explanation. */
export const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
export const codes = (diagnostics: readonly vscode.Diagnostic[]): string[] => diagnostics.map(codeOf);

export async function openDataset(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(path.join(workspaceRoot(), name));
  await vscode.window.showTextDocument(doc);
  return doc;
}


/** How the launcher runs this suite (`.editor-run.json` in the workspace). */
export function runInfo(): { installedFrom?: string; screenshots?: boolean; only?: string } {
  const file = path.join(workspaceRoot(), '.editor-run.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { installedFrom?: string; screenshots?: boolean; only?: string }) : {};
}

/** The extension under test. */
export function sftStudioExtension(): vscode.Extension<SftStudioApi> {
  const extension = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'sft-studio') as vscode.Extension<SftStudioApi> | undefined;
  if (!extension) throw new Error('the SFT Studio extension is not installed');
  return extension;
}

/** The extension's API, activating it if needed. */
export async function api(): Promise<SftStudioApi> {
  return sftStudioExtension().activate();
}

/**
 * Asks the runner for a screenshot (saved under test-artifacts/editor/) and waits until it is
 * taken. With `expectText`, the runner first waits for a frame (a webview) showing that text, and
 * this resolves false when none did: the page really rendered, not only its HTML string.
 */
export async function screenshot(name: string, expectText?: string): Promise<boolean> {
  if (runInfo().screenshots !== true) return true; // a launcher without a browser to take them
  const done = path.join(workspaceRoot(), '.screenshots', `${name}.done`);
  console.log(`SFT_SCREENSHOT ${name}${expectText ? ` ${expectText}` : ''}`);
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(done) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return fs.existsSync(done) && fs.readFileSync(done, 'utf8') === 'shown';
}

/** Resolves with the first value `read` gives that is not undefined, polling while the editor works. */
export async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Asks the runner to do something in the workbench as a person would (`palette`: run a command by
 * its title from the command palette; `quickPick`: pick an item of an open quick pick); resolves once done, and fails with the runner's reason.
 * A launcher without a browser (the Electron one) runs the command directly instead.
 */
export async function throughUi(request: { action: 'palette'; title: string; command: string } | { action: 'quickPick'; title: string; pick: string }): Promise<void> {
  if (runInfo().screenshots !== true) {
    await vscode.commands.executeCommand(request.action === 'palette' ? request.command : 'workbench.action.acceptSelectedQuickOpenItem');
    return;
  }
  const id = `ui-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const done = path.join(workspaceRoot(), '.screenshots', `${id}.done`);
  const { action, title } = request;
  console.log(`SFT_UI ${id} ${JSON.stringify(request.action === 'palette' ? { action, title } : { action, title, pick: request.pick })}`);
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(done) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const outcome = fs.existsSync(done) ? fs.readFileSync(done, 'utf8') : 'the runner did not answer';
  if (outcome !== 'ok') throw new Error(`could not run "${request.title}" from the command palette: ${outcome}`);
}
