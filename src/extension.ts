/** Extension entry point: wires the editor features together and nothing else. */
import * as vscode from 'vscode';
import { DatasetCodeActions, SET_PROJECT_COMMAND } from './language/codeActions';
import { DatasetCompletion } from './language/completion';
import { DatasetDiagnostics, LANGUAGE_ID } from './language/diagnostics';
import { DocumentClient } from './language/documentClient';
import { DOWNLOAD_MODEL_COMMAND, downloadFromHub } from './language/hubDownloadCommand';
import { DatasetHover } from './language/hover';
import { CHOOSE_MODEL_COMMAND, ModelPicker, type ModelChoice } from './language/modelPicker';
import { ruleLinks } from './language/ruleLinks';
import { WorkspaceCheck } from './language/workspaceCheck';
import { ExamplePreviewPanel } from './views/previewPanel';
import { REVEAL_LINE_COMMAND, revealLine, showStatistics } from './views/statisticsPanel';

/** What the extension offers other extensions (and its own editor tests). */
export interface SftStudioApi {
  /** How long `activate` took, in milliseconds. */
  readonly activationMs: number;
  /** Resolves once every line of the dataset is checked and its diagnostics are published; false when cancelled or the setup is broken. */
  whenChecked(doc: vscode.TextDocument): Promise<boolean>;
}

export function activate(context: vscode.ExtensionContext): SftStudioApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('SFT Studio', { log: true });
  const links = ruleLinks(context.extensionUri);
  const service = DocumentClient.forExtension(context.extensionUri, log);
  const diagnostics = new DatasetDiagnostics(service, links);
  const picker = new ModelPicker(diagnostics, () => downloadFromHub());
  const preview = new ExamplePreviewPanel(diagnostics);
  const workspaceCheck = new WorkspaceCheck(vscode.Uri.joinPath(context.extensionUri, 'bin', 'sft-studio').fsPath, links, log);
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const activeDataset = (): vscode.TextDocument | undefined => {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc?.languageId === LANGUAGE_ID) return doc;
    void vscode.window.showWarningMessage('SFT Studio: open a .sft.jsonl dataset first.');
    return undefined;
  };
  context.subscriptions.push(
    log,
    service,
    diagnostics,
    picker,
    preview,
    workspaceCheck,
    vscode.languages.registerHoverProvider(selector, new DatasetHover(diagnostics)),
    vscode.languages.registerCodeActionsProvider(selector, new DatasetCodeActions(diagnostics), DatasetCodeActions.metadata),
    vscode.languages.registerCompletionItemProvider(selector, new DatasetCompletion(), ...DatasetCompletion.triggerCharacters),
    vscode.commands.registerCommand('sftStudio.recheckDataset', () => diagnostics.reloadAll()),
    vscode.commands.registerCommand(CHOOSE_MODEL_COMMAND, (choice?: ModelChoice) => picker.choose(choice)),
    vscode.commands.registerCommand(DOWNLOAD_MODEL_COMMAND, async (hubId?: string) => {
      const choice = await downloadFromHub(hubId);
      if (choice) await picker.choose(choice);
      return choice !== undefined;
    }),
    vscode.commands.registerCommand(SET_PROJECT_COMMAND, (dataset: vscode.Uri, key: 'model' | 'template', value: string) => picker.choose({ key, value }, dataset)),
    vscode.commands.registerCommand('sftStudio.showStatistics', () => {
      const doc = activeDataset();
      return doc ? showStatistics(diagnostics, doc) : undefined;
    }),
    vscode.commands.registerCommand('sftStudio.previewExample', () => preview.show(vscode.window.activeTextEditor)),
    vscode.commands.registerCommand('sftStudio.checkWorkspace', () => workspaceCheck.run()),
    vscode.commands.registerCommand(REVEAL_LINE_COMMAND, (uri: string, line: number) => revealLine(uri, line)),
  );
  const activationMs = performance.now() - started;
  log.info(`Activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    whenChecked: (doc) => diagnostics.whenChecked(doc, new vscode.CancellationTokenSource().token),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
