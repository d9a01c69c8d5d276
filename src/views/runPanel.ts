/**
 * The run panel: one webview per run, beside the editor, showing the run as its events fold. The
 * page says `ready` (also after a window reload, when the serializer brings the panel back); the
 * host answers with the whole run and then forwards each change. Buttons come back as actions,
 * which run the same commands as the tree and the palette.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isPanelState, isPanelToHost, type HostToPanel, type PanelToHost, type RunAction } from '../common/runPanelProtocol';
import type { RunRegistry, TrainingRun } from '../training/runRegistry';
import { runPanelHtml } from './runPanelHtml';

export const RUN_PANEL_VIEW_TYPE = 'sftStudio.run';

/** What a panel last reported drawing (read by the editor tests and the benchmark). */
export type RenderedReport = Extract<PanelToHost, { type: 'rendered' }>;

export class RunPanels implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; ready: boolean }>();
  private readonly rendered = new Map<string, RenderedReport>();
  private readonly violations: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: RunRegistry,
    private readonly runAction: (action: RunAction, run: TrainingRun) => Thenable<unknown>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, this));
    this.unsubscribe = registry.onChange(({ run, events, removed }) => {
      const open = this.panels.get(run.runDir);
      if (!open) return;
      if (removed) {
        open.panel.dispose();
        return;
      }
      if (!open.ready) return;
      if (events.length > 0) this.post(open.panel, { type: 'events', events });
      else this.post(open.panel, { type: 'info', info: run.info });
    });
  }

  /** Opens the run's panel, or brings it to the front. */
  show(run: TrainingRun, preserveFocus = false): vscode.WebviewPanel {
    const open = this.panels.get(run.runDir);
    if (open) {
      open.panel.reveal(undefined, preserveFocus);
      return open.panel;
    }
    // Run panels share one editor group beside the datasets, rather than opening a new group each.
    const column = [...this.panels.values()].map(({ panel }) => panel.viewColumn).find((c) => c !== undefined) ?? vscode.ViewColumn.Beside;
    const panel = vscode.window.createWebviewPanel(RUN_PANEL_VIEW_TYPE, `Run: ${run.info.name}`, { viewColumn: column, preserveFocus }, this.options());
    this.attach(panel, run);
    return panel;
  }

  /** Brings a panel back after a window reload. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isPanelState(state) || !fs.existsSync(state.runDir)) {
      panel.dispose(); // the run folder was deleted or moved meanwhile
      return;
    }
    panel.webview.options = this.options();
    this.attach(panel, this.registry.open(state.runDir));
  }

  /** The last drawing the run's panel reported, if its panel is open. */
  renderedReport(runDir: string): RenderedReport | undefined {
    return this.rendered.get(runDir);
  }

  /** Content security policy violations any panel reported (none is the only right number). */
  cspViolations(): readonly string[] {
    return this.violations;
  }

  dispose(): void {
    this.unsubscribe();
    for (const { panel } of this.panels.values()) panel.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')], retainContextWhenHidden: false };
  }

  private attach(panel: vscode.WebviewPanel, run: TrainingRun): void {
    const entry = { panel, ready: false };
    this.panels.set(run.runDir, entry);
    panel.title = `Run: ${run.info.name}`;
    const bundle = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    panel.webview.html = runPanelHtml(run.info.name, {
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'runPanel.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'runPanel.css')).toString(),
      nonce: randomBytes(16).toString('base64'),
    });
    panel.webview.onDidReceiveMessage((message: unknown) => {
      if (!isPanelToHost(message)) return;
      switch (message.type) {
        case 'ready':
          // A page that reloads (hidden and shown again) says ready again and gets the whole run.
          entry.ready = true;
          this.post(panel, { type: 'run', info: run.info, state: run.state });
          break;
        case 'action':
          void this.runAction(message.action, run);
          break;
        case 'rendered':
          this.rendered.set(run.runDir, message);
          break;
        case 'cspViolation':
          this.violations.push(`${message.directive}: ${message.blocked}`);
          this.log.error(`Run panel broke its content security policy (${message.directive}, ${message.blocked})`);
          break;
      }
    });
    panel.onDidDispose(() => {
      if (this.panels.get(run.runDir)?.panel === panel) this.panels.delete(run.runDir);
      this.rendered.delete(run.runDir);
    });
  }

  private post(panel: vscode.WebviewPanel, message: HostToPanel): void {
    void panel.webview.postMessage(message);
  }
}
