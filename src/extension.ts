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
import type { RunStatus } from './common/runReducer';
import { shownStatus } from './common/runView';
import { RunCommands, type RunArgument } from './training/runCommands';
import { RunRegistry, type TrainingRun } from './training/runRegistry';
import { discoverRuns, RunEndNotices, RUNS_VIEW_ID, RunsTree, RunStatusBar } from './training/runsTree';
import { createExampleProject } from './training/exampleProject';
import { startTraining, type StartOptions, type StartResult } from './training/startTraining';
import { cliPathOf, type TrainingHost } from './training/trainingHost';
import { ExamplePreviewPanel } from './views/previewPanel';
import { RunPanels, type RenderedReport } from './views/runPanel';
import { REVEAL_LINE_COMMAND, revealLine, showStatistics } from './views/statisticsPanel';

/** What the extension offers other extensions (and its own editor tests). */
export interface SftStudioApi {
  /** How long `activate` took, in milliseconds. */
  readonly activationMs: number;
  /** Resolves once every line of the dataset is checked and its diagnostics are published; false when cancelled or the setup is broken. */
  whenChecked(doc: vscode.TextDocument): Promise<boolean>;
  /** What the training side shows: runs, the tree's items, what each run panel drew. */
  readonly training: {
    runs(): Array<{ runDir: string; status: RunStatus; liveness: string; steps: number; samples: number; adapter?: string; failure?: string; pid?: number }>;
    tree(): ReturnType<RunsTree['describe']>;
    rendered(runDir: string): RenderedReport | undefined;
    cspViolations(): readonly string[];
  };
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
  const registry = new RunRegistry({
    pollMs: 500,
    stopTimeoutMs: () => 1000 * (vscode.workspace.getConfiguration('sftStudio').get<number>('training.stopTimeoutSeconds') ?? 60),
    log: (line) => log.info(line),
  });
  // The panels' buttons run the run commands, which open panels: the callback reads runCommands when clicked.
  const panels = new RunPanels(context.extensionUri, registry, (action, run) => runCommands.action(action, run), log);
  const trainingHost: TrainingHost = { registry, diagnostics, log, cliPath: cliPathOf(context.extensionUri), panels };
  const runCommands = new RunCommands(trainingHost);
  const runsTree = new RunsTree(registry);
  const runsView = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: false });
  void discoverRuns(registry).then((watcher) => context.subscriptions.push(watcher));
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
    { dispose: () => registry.dispose() },
    panels,
    runsTree,
    runsView,
    new RunStatusBar(registry),
    new RunEndNotices(registry, log),
    vscode.commands.registerCommand('sftStudio.startLoraTraining', (dataset?: vscode.Uri, options?: StartOptions): Promise<StartResult> => startTraining(trainingHost, 'lora', asUri(dataset), asStartOptions(options))),
    vscode.commands.registerCommand('sftStudio.startQloraTraining', (dataset?: vscode.Uri, options?: StartOptions): Promise<StartResult> => startTraining(trainingHost, 'qlora', asUri(dataset), asStartOptions(options))),
    vscode.commands.registerCommand('sftStudio.createExample', () => createExampleProject(trainingHost)),
    vscode.commands.registerCommand('sftStudio.stopTraining', (run?: RunArgument) => runCommands.stop(run)),
    vscode.commands.registerCommand('sftStudio.resumeTraining', (run?: RunArgument) => runCommands.resume(run)),
    vscode.commands.registerCommand('sftStudio.openRun', (run?: RunArgument) => runCommands.open(run)),
    // From the Runs view the second argument is the selection, not a prompt.
    vscode.commands.registerCommand('sftStudio.tryAdapter', (run?: RunArgument, prompt?: unknown) => runCommands.tryAdapter(run, typeof prompt === 'string' ? prompt : undefined)),
    vscode.commands.registerCommand('sftStudio.mergeAdapter', (run?: RunArgument) => runCommands.merge(run)),
    vscode.commands.registerCommand('sftStudio.exportGguf', (run?: RunArgument) => runCommands.exportGguf(run)),
    vscode.commands.registerCommand('sftStudio.revealRun', (run?: RunArgument) => runCommands.reveal(run)),
    vscode.commands.registerCommand('sftStudio.deleteRun', (run?: RunArgument, confirmed?: boolean) => runCommands.delete(run, confirmed === true)),
    vscode.commands.registerCommand('sftStudio.compareRuns', (run?: TrainingRun | string, selected?: ReadonlyArray<TrainingRun | string>) =>
      runCommands.compare(selected && selected.length > 0 ? selected : runsView.selection.length > 1 ? runsView.selection : run ? [run] : [])),
  );
  const activationMs = performance.now() - started;
  log.info(`Activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    whenChecked: (doc) => diagnostics.whenChecked(doc, new vscode.CancellationTokenSource().token),
    training: {
      runs: () => registry.list().map((run) => ({
        runDir: run.runDir, status: shownStatus(run.state, run.info), liveness: run.info.liveness, steps: run.state.steps.length, samples: run.state.samples.length,
        ...(run.state.end?.adapter ? { adapter: run.state.end.adapter } : {}), ...(run.info.failure ? { failure: run.info.failure } : {}),
        ...(run.process?.pid !== undefined ? { pid: run.process.pid } : run.otherPid !== undefined ? { pid: run.otherPid } : {}),
      })),
      tree: () => runsTree.describe(),
      rendered: (runDir) => panels.renderedReport(runDir),
      cspViolations: () => panels.cspViolations(),
    },
  };
}

/** Command arguments from menus are URIs; from the palette, nothing. */
function asUri(value: unknown): vscode.Uri | undefined {
  return value instanceof vscode.Uri ? value : undefined;
}

/** Options from a walkthrough link (JSON in a command URI): only a list of `section.key=value` strings is taken. */
function asStartOptions(value: unknown): StartOptions {
  const set = (value as { set?: unknown } | undefined)?.set;
  return Array.isArray(set) && set.every((s) => typeof s === 'string') ? { set } : {};
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
