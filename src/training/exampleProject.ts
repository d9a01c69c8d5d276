/**
 * "Create the Example Project" (the walkthrough's first step): writes the built-in example to
 * `sft-studio-example/` in the workspace with the CLI's `example` command, in a child process,
 * then opens its dataset. Run again, it opens the project that is there and overwrites nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runCliTask } from './cliTask';
import { NodeRuntimeError } from './nodeRuntime';
import { trainingAllowed, trainingSettings, type TrainingHost } from './trainingHost';

export const EXAMPLE_FOLDER = 'sft-studio-example';

export async function createExampleProject(host: TrainingHost): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    const choice = await vscode.window.showInformationMessage('SFT Studio: open a folder first; the example project is written into it.', 'Open Folder…');
    if (choice) void vscode.commands.executeCommand('workbench.action.files.openFolder');
    return undefined;
  }
  const dir = path.join(folder.uri.fsPath, EXAMPLE_FOLDER);
  const dataset = vscode.Uri.file(path.join(dir, 'aussie.sft.jsonl'));
  if (!fs.existsSync(path.join(dir, 'sft-studio.json'))) {
    if (!trainingAllowed()) return undefined;
    let runtime;
    try {
      runtime = trainingSettings().runtime;
    } catch (error) {
      if (!(error instanceof NodeRuntimeError)) throw error;
      void vscode.window.showErrorMessage(`SFT Studio: ${error.message}`);
      return undefined;
    }
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'SFT Studio: writing the example project (a dataset and a small blank model)…' }, () =>
        runCliTask({ runtime, cliPath: host.cliPath, args: ['example', dir], cwd: folder.uri.fsPath, log: (line) => host.log.info(line) }));
    } catch (error) {
      void vscode.window.showErrorMessage(`SFT Studio: could not write the example project: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
  await vscode.window.showTextDocument(dataset, { preview: false });
  return dataset;
}
