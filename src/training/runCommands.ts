/**
 * The commands on one run, from the palette (which asks for the run), the runs tree (which passes
 * it) and the run panel's buttons: Stop, Resume, Open, Try Adapter, Merge, Export GGUF, Reveal,
 * Delete, Compare. Model work (generate, merge, export) runs in a child process with progress.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../common/runFiles';
import type { RunAction } from '../common/runPanelProtocol';
import { compareRuns } from '../common/runView';
import { comparisonHtml } from '../views/comparisonHtml';
import { tryAdapterHtml } from '../views/tryAdapterHtml';
import { runCliTask } from './cliTask';
import { NodeRuntimeError } from './nodeRuntime';
import { folderBytes, isRunFolder } from './runFolder';
import type { TrainingRun } from './runRegistry';
import { showProgressUntilEnd } from './startTraining';
import { trainingAllowed, trainingSettings, type TrainingHost } from './trainingHost';

/** A run as commands receive it: the tree's element, a run folder path (tests, links), or nothing (then one is picked). */
export type RunArgument = TrainingRun | string | vscode.Uri | undefined;

export class RunCommands {
  constructor(private readonly host: TrainingHost) {}

  /** The panel's buttons run the same commands. */
  action(action: RunAction, run: TrainingRun): Thenable<unknown> {
    switch (action) {
      case 'stop': return this.stop(run);
      case 'resume': return this.resume(run);
      case 'try': return this.tryAdapter(run);
      case 'merge': return this.merge(run);
      case 'export': return this.exportGguf(run);
      case 'reveal': return this.reveal(run);
    }
  }

  async open(arg: RunArgument): Promise<boolean> {
    const run = await this.resolve(arg, 'Open which run?', () => true);
    if (run) this.host.panels.show(run);
    return run !== undefined;
  }

  async stop(arg: RunArgument): Promise<boolean> {
    const run = await this.resolve(arg, 'Stop which run?', (r) => r.live);
    if (!run) return false;
    if (!run.live) {
      void vscode.window.showInformationMessage(`SFT Studio: ${run.info.name} is not training.`);
      return false;
    }
    this.host.registry.stop(run);
    void vscode.window.setStatusBarMessage(`SFT Studio: stopping ${run.info.name} after this step (the adapter is saved)…`, 5000);
    return true;
  }

  async resume(arg: RunArgument): Promise<boolean> {
    if (!trainingAllowed()) return false;
    const run = await this.resolve(arg, 'Resume which run?', (r) => r.info.resumable);
    if (!run) return false;
    if (!run.info.resumable) {
      void vscode.window.showWarningMessage(`SFT Studio: ${run.info.name} has no checkpoint to resume from${run.live ? ' (it is still training)' : ''}.`);
      return false;
    }
    const settings = this.settings();
    if (!settings) return false;
    const resumed = this.host.registry.launch(run.runDir, {
      runtime: settings.runtime, cliPath: this.host.cliPath, cwd: path.dirname(run.runDir), args: ['--resume', run.runDir, '--backend', settings.backend],
    }, run.info);
    this.host.panels.show(resumed, true);
    showProgressUntilEnd(this.host, resumed);
    return true;
  }

  /** Asks for a prompt, then shows the base model's answer and the adapter's side by side. */
  async tryAdapter(arg: RunArgument, promptArg?: string): Promise<{ base: string; adapter: string } | undefined> {
    if (!trainingAllowed()) return undefined;
    const run = await this.resolve(arg, 'Try the adapter of which run?', hasAdapter);
    if (!run || !this.requireAdapter(run)) return undefined;
    const config = run.info.config;
    const firstPrompt = Array.isArray((config['samples'] as { prompts?: unknown } | undefined)?.prompts) ? String((config['samples'] as { prompts: unknown[] }).prompts[0] ?? '') : '';
    const prompt = promptArg ?? (await vscode.window.showInputBox({ title: `Try ${run.info.name}`, prompt: 'A user message: the base model and the adapter both answer it', value: firstPrompt, ignoreFocusOut: true }));
    if (prompt === undefined || prompt.trim().length === 0) return undefined;
    const maxNew = Number((config['samples'] as { max_new_tokens?: unknown } | undefined)?.max_new_tokens ?? 50) || 50;
    const common = ['--model', modelPath(run), '--prompt', prompt, '--max-new-tokens', String(maxNew), ...(typeof config['template'] === 'string' ? ['--template', config['template']] : [])];
    const answers = await this.withCli(`Generating with ${run.info.name}`, async (cli, backend) => ({
      base: await cli(['generate', ...common, '--backend', backend], 'the base model answers…'),
      adapter: await cli(['generate', ...common, '--backend', backend, '--adapter', adapterDir(run)], 'the adapter answers…'),
    }));
    if (!answers) return undefined;
    const panel = vscode.window.createWebviewPanel('sftStudio.tryAdapter', `Try: ${run.info.name}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: false });
    panel.webview.html = tryAdapterHtml(run.info.name, prompt, answers.base, answers.adapter, randomBytes(16).toString('base64'));
    return answers;
  }

  async merge(arg: RunArgument): Promise<string | undefined> {
    const run = await this.resolve(arg, 'Merge the adapter of which run?', hasAdapter);
    if (!run || !this.requireAdapter(run)) return undefined;
    const out = path.join(run.runDir, 'merged');
    const force = await this.confirmReplace(out, fs.existsSync(out) && fs.readdirSync(out).length > 0);
    if (force === undefined) return undefined;
    const done = await this.withCli(`Merging ${run.info.name}`, (cli) => cli(['merge', '--model', modelPath(run), '--adapter', adapterDir(run), '--out', out, ...(force ? ['--force'] : [])], 'writing the merged model…'));
    if (done === undefined) return undefined;
    this.offerReveal(`Merged model written to ${vscode.workspace.asRelativePath(out)}.`, out);
    return out;
  }

  async exportGguf(arg: RunArgument): Promise<string | undefined> {
    const run = await this.resolve(arg, 'Export which run as GGUF?', hasAdapter);
    if (!run || !this.requireAdapter(run)) return undefined;
    const out = path.join(run.runDir, `${run.info.name}.gguf`);
    const force = await this.confirmReplace(out, fs.existsSync(out));
    if (force === undefined) return undefined;
    const done = await this.withCli(`Exporting ${run.info.name} as GGUF`, (cli) => cli(['export-gguf', '--model', modelPath(run), '--adapter', adapterDir(run), '--out', out, ...(force ? ['--force'] : [])], 'merging and writing GGUF…'));
    if (done === undefined) return undefined;
    this.offerReveal(`GGUF written to ${vscode.workspace.asRelativePath(out)} (for llama.cpp, Ollama and LM Studio).`, out);
    return out;
  }

  async reveal(arg: RunArgument): Promise<void> {
    const run = await this.resolve(arg, 'Reveal which run?', () => true);
    if (run) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.runDir));
  }

  /** Deletes the run folder after asking; a run still training must be stopped first. */
  async delete(arg: RunArgument, confirmed = false): Promise<boolean> {
    const run = await this.resolve(arg, 'Delete which run?', (r) => !r.live);
    if (!run) return false;
    if (run.live) {
      void vscode.window.showWarningMessage(`SFT Studio: ${run.info.name} is still training: stop it before deleting it.`);
      return false;
    }
    if (!confirmed) {
      const choice = await vscode.window.showWarningMessage(`Delete the run ${run.info.name}?`, { modal: true, detail: `This deletes ${run.runDir} with its checkpoints and adapter. It cannot be undone.` }, 'Delete Run');
      if (choice !== 'Delete Run') return false;
    }
    await vscode.workspace.fs.delete(vscode.Uri.file(run.runDir), { recursive: true, useTrash: false });
    this.host.registry.remove(run);
    return true;
  }

  /** The comparison view: loss curves overlaid, settings that differ, and the measures side by side. */
  compare(selected: ReadonlyArray<TrainingRun | string>): vscode.WebviewPanel | undefined {
    const runs = selected.map((run) => (typeof run === 'string' ? this.host.registry.open(run) : run));
    if (runs.length < 2) {
      void vscode.window.showInformationMessage('SFT Studio: select two or more runs in the Runs view (Ctrl+click), then choose Compare Runs.');
      return undefined;
    }
    const compared = runs.map((run) => ({ name: run.info.name, config: run.info.config, state: run.state, ...optional('adapterBytes', folderBytes(adapterDir(run))) }));
    const panel = vscode.window.createWebviewPanel('sftStudio.compareRuns', `Compare ${runs.length} runs`, vscode.ViewColumn.Active, { enableScripts: false });
    panel.webview.html = comparisonHtml(compared, compareRuns(compared), randomBytes(16).toString('base64'));
    return panel;
  }

  private async resolve(arg: RunArgument, title: string, applies: (run: TrainingRun) => boolean): Promise<TrainingRun | undefined> {
    if (typeof arg === 'string' || arg instanceof vscode.Uri) {
      const dir = typeof arg === 'string' ? arg : arg.fsPath;
      if (!isRunFolder(dir)) {
        void vscode.window.showErrorMessage(`SFT Studio: ${dir} is not a run folder (it has no ${RUN_FILES.events}).`);
        return undefined;
      }
      return this.host.registry.open(dir);
    }
    if (arg) return arg;
    const candidates = this.host.registry.list().filter(applies);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('SFT Studio: no run to choose here yet. Start one with "SFT Studio: Start LoRA Training".');
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(candidates.map((run) => ({ label: run.info.name, description: run.state.status, detail: run.runDir, run })), { title });
    return picked?.run;
  }

  private requireAdapter(run: TrainingRun): boolean {
    if (hasAdapter(run)) return true;
    void vscode.window.showWarningMessage(`SFT Studio: ${run.info.name} has no saved adapter yet (${run.live ? 'it is still training' : 'it ended before saving one'}).`);
    return false;
  }

  private settings(): ReturnType<typeof trainingSettings> | undefined {
    try {
      return trainingSettings();
    } catch (error) {
      if (!(error instanceof NodeRuntimeError)) throw error;
      void vscode.window.showErrorMessage(`SFT Studio: ${error.message}`);
      return undefined;
    }
  }

  /** Runs CLI steps under one cancellable notification; undefined when cancelled or failed (after saying why). */
  private async withCli<T>(title: string, body: (cli: (args: string[], message: string) => Promise<string>, backend: string) => Promise<T>): Promise<T | undefined> {
    const settings = this.settings();
    if (!settings) return undefined;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SFT Studio: ${title}`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await body((args, message) => {
          progress.report({ message });
          return runCliTask({ runtime: settings.runtime, cliPath: this.host.cliPath, args, cwd: path.dirname(this.host.cliPath), log: (line) => this.host.log.info(line), signal: abort.signal });
        }, settings.backend);
      } catch (error) {
        if (!abort.signal.aborted) void vscode.window.showErrorMessage(`SFT Studio: ${title.toLowerCase()} failed: ${error instanceof Error ? error.message : String(error)}`, 'Open Output').then((choice) => {
          if (choice) this.host.log.show();
        });
        return undefined;
      }
    });
  }

  /** undefined: the user kept the existing file; false: nothing to replace; true: replace it. */
  private async confirmReplace(target: string, exists: boolean): Promise<boolean | undefined> {
    if (!exists) return false;
    const choice = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(target)} already exists. Replace it?`, { modal: true }, 'Replace');
    return choice === 'Replace' ? true : undefined;
  }

  private offerReveal(message: string, target: string): void {
    void vscode.window.showInformationMessage(`SFT Studio: ${message}`, 'Reveal in Explorer').then((choice) => {
      if (choice) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(target));
    });
  }
}

export const hasAdapter = (run: TrainingRun): boolean => run.state.end?.adapter !== undefined && fs.existsSync(adapterDir(run));
const adapterDir = (run: TrainingRun): string => path.join(run.runDir, run.state.end?.adapter ?? RUN_FILES.final);
const modelPath = (run: TrainingRun): string => (typeof run.info.config['model_path'] === 'string' ? run.info.config['model_path'] : run.info.model);

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
