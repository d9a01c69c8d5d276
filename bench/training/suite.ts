/**
 * The training benchmark's suite, run inside code-server's extension host by
 * bench/training.bench.ts: RUNS times, the time from "Start LoRA Training" to the run panel's
 * first plotted point on the tiny model, then Stop and wait for the run to end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SftStudioApi } from '../../src/extension';

const RUNS = 5;

async function until<T>(read: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function run(): Promise<void> {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const extension = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'sft-studio') as vscode.Extension<SftStudioApi>;
  const api = await extension.activate();
  const dataset = vscode.Uri.file(path.join(root, 'train', 'train.sft.jsonl'));
  await vscode.window.showTextDocument(dataset);
  const firstPointMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = await vscode.commands.executeCommand<{ started: boolean; runDir?: string }>('sftStudio.startLoraTraining', dataset);
    if (!result.started || !result.runDir) throw new Error(`the run did not start: ${JSON.stringify(result)}`);
    const launched = performance.now() - started;
    await until(() => ((api.training.runs().find((r) => r.runDir === result.runDir)?.steps ?? 0) >= 1 ? true : undefined), 120_000, 'the first step event');
    const firstEvent = performance.now() - started;
    await until(() => ((api.training.rendered(result.runDir!)?.points ?? 0) >= 1 ? true : undefined), 120_000, 'the first plotted point');
    firstPointMs.push(performance.now() - started);
    console.log(`run ${i + 1}: launched after ${Math.round(launched)} ms, first step event at ${Math.round(firstEvent)} ms, first plotted point at ${Math.round(firstPointMs[i]!)} ms`);
    await vscode.commands.executeCommand('sftStudio.stopTraining', result.runDir);
    await until(() => (api.training.runs().find((r) => r.runDir === result.runDir)?.liveness === 'ended' ? true : undefined), 120_000, 'the run to end');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.window.showTextDocument(dataset);
  }
  fs.writeFileSync(path.join(root, '.editor-test-result.json'), JSON.stringify({ passed: 1, failures: [], figures: { firstPointMs } }));
}
