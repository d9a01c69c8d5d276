/**
 * The Runs view: one item per run folder in the workspace (and any run opened), newest first, with
 * its status icon, dataset, model, last loss and duration; its context value says which actions
 * apply. Also the status-bar item shown while a run trains.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../common/runFiles';
import { durationSeconds, formatDuration, lastLoss, progressText, runDescription, shownStatus } from '../common/runView';
import type { RunStatus } from '../common/runReducer';
import { hasAdapter } from './runCommands';
import type { RunRegistry, TrainingRun } from './runRegistry';

export const RUNS_VIEW_ID = 'sftStudio.runs';

const ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  starting: new vscode.ThemeIcon('loading~spin'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.yellow')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

export class RunsTree implements vscode.TreeDataProvider<TrainingRun>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TrainingRun | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly unsubscribe: () => void;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: RunRegistry) {
    // Step events can come many a second: the tree redraws at most a few times a second.
    this.unsubscribe = registry.onChange(() => {
      this.refreshTimer ??= setTimeout(() => {
        this.refreshTimer = undefined;
        this.changed.fire(undefined);
      }, 250);
    });
  }

  getChildren(element?: TrainingRun): TrainingRun[] {
    return element ? [] : this.registry.list();
  }

  getTreeItem(run: TrainingRun): vscode.TreeItem {
    const status = shownStatus(run.state, run.info);
    const item = new vscode.TreeItem(run.info.name, vscode.TreeItemCollapsibleState.None);
    item.id = run.runDir;
    item.iconPath = ICONS[status];
    item.description = run.live ? `${progressText(run.state)} · ${runDescription(run.state, run.info)}` : runDescription(run.state, run.info);
    item.resourceUri = vscode.Uri.file(run.runDir);
    item.contextValue = ['run', status, ...(run.live ? ['live'] : []), ...(run.info.resumable ? ['resumable'] : []), ...(hasAdapter(run) ? ['adapter'] : [])].join(' ');
    item.command = { command: 'sftStudio.openRun', title: 'Open Run', arguments: [run] };
    const loss = lastLoss(run.state);
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(run.info.name)}** — ${status}\n\n`);
    tooltip.appendMarkdown(`- dataset: ${escapeMarkdown(run.info.dataset)}\n- model: ${escapeMarkdown(run.info.model)}\n`);
    if (loss !== undefined) tooltip.appendMarkdown(`- last loss: ${loss.toFixed(4)} at step ${run.state.steps[run.state.steps.length - 1]!.step}\n`);
    tooltip.appendMarkdown(`- duration: ${formatDuration(durationSeconds(run.state))}\n`);
    if (run.info.failure) tooltip.appendMarkdown(`\n${escapeMarkdown(run.info.failure)}\n`);
    item.tooltip = tooltip;
    return item;
  }

  /** What the tree shows, as text (the editor tests read it). */
  describe(): Array<{ name: string; description: string; contextValue: string; icon: string }> {
    return this.registry.list().map((run) => {
      const item = this.getTreeItem(run);
      return { name: run.info.name, description: String(item.description ?? ''), contextValue: item.contextValue ?? '', icon: (item.iconPath as vscode.ThemeIcon).id };
    });
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.unsubscribe();
    this.changed.dispose();
  }
}

/** While a run trains: "step 12/40 · loss 1.234" in the status bar; a click opens its panel. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sftStudio.training', vscode.StatusBarAlignment.Left, 50);
  private readonly unsubscribe: () => void;

  constructor(private readonly registry: RunRegistry) {
    this.item.name = 'SFT Studio Training';
    this.unsubscribe = registry.onChange(() => this.update());
    this.update();
  }

  private update(): void {
    const live = this.registry.list().filter((run) => run.live);
    const run = live[0];
    if (!run) {
      this.item.hide();
      return;
    }
    this.item.text = `$(sync~spin) ${run.state.started ? progressText(run.state) : 'loading model…'}${live.length > 1 ? ` (+${live.length - 1})` : ''}`;
    this.item.tooltip = `Training ${run.info.name}: click to open its panel`;
    this.item.command = { command: 'sftStudio.openRun', title: 'Open Run', arguments: [run] };
    this.item.show();
  }

  dispose(): void {
    this.unsubscribe();
    this.item.dispose();
  }
}

/** Finds the run folders in the workspace and opens each new one the CLI or another window creates. */
export async function discoverRuns(registry: RunRegistry): Promise<vscode.Disposable> {
  const pattern = `**/${RUN_FILES.events}`;
  for (const uri of await vscode.workspace.findFiles(pattern, '**/node_modules/**')) registry.open(path.dirname(uri.fsPath));
  const watcher = vscode.workspace.createFileSystemWatcher(pattern, false, true, false);
  watcher.onDidCreate((uri) => registry.open(path.dirname(uri.fsPath)));
  watcher.onDidDelete((uri) => {
    const run = registry.get(path.dirname(uri.fsPath));
    if (run && !run.live) registry.remove(run);
  });
  return watcher;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/**
 * Says when a run this window watched training ends: a failure with its reason and "Open Output",
 * a completed run with "Try Adapter" and "Open Run".
 */
export class RunEndNotices implements vscode.Disposable {
  private readonly wasLive = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(registry: RunRegistry, log: vscode.LogOutputChannel) {
    this.unsubscribe = registry.onChange(({ run, removed }) => {
      if (removed) return void this.wasLive.delete(run.runDir);
      if (run.live) return void this.wasLive.add(run.runDir);
      if (!this.wasLive.delete(run.runDir)) return;
      const status = shownStatus(run.state, run.info);
      if (status === 'failed') {
        void vscode.window.showErrorMessage(`SFT Studio: training ${run.info.name} failed. ${firstLine(run.info.failure ?? '')}`, 'Open Output', 'Open Run').then((choice) => {
          if (choice === 'Open Output') log.show();
          if (choice === 'Open Run') void vscode.commands.executeCommand('sftStudio.openRun', run);
        });
      } else if (status === 'completed') {
        void vscode.window.showInformationMessage(`SFT Studio: ${run.info.name} finished: loss ${lastLoss(run.state)?.toFixed(3) ?? '?'} after ${formatDuration(durationSeconds(run.state))}.`, 'Try Adapter…', 'Open Run').then((choice) => {
          if (choice === 'Try Adapter…') void vscode.commands.executeCommand('sftStudio.tryAdapter', run);
          if (choice === 'Open Run') void vscode.commands.executeCommand('sftStudio.openRun', run);
        });
      }
    });
  }

  dispose(): void {
    this.unsubscribe();
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
