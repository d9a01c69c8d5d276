/**
 * "Start LoRA Training" and "Start QLoRA Training": the dataset (the argument, the active editor,
 * or one picked), its `sft-studio.json` (the form writes the training settings when it has none),
 * the checker's verdict on the saved file (errors block, warnings ask), then a trainer process
 * and its panel. With a complete project file nothing is asked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME } from '../common/projectFile';
import { RUN_FILES } from '../common/runFiles';
import { formDefaults, formMembers, hasTrainingSettings } from '../common/trainForm';
import { findProjectFile } from '../dataset/load/checkSetup';
import { setProjectMembers } from '../dataset/projectFileEdit';
import { DIAGNOSTIC_SOURCE } from '../language/convert';
import { LANGUAGE_ID } from '../language/diagnostics';
import { NodeRuntimeError } from './nodeRuntime';
import { showTrainForm } from './trainFormView';
import { trainingAllowed, trainingSettings, type TrainingHost } from './trainingHost';
import type { TrainingRun } from './runRegistry';

export type TrainingKind = 'lora' | 'qlora';

/** What the command did, for its callers (the editor tests read it). */
export type StartResult =
  | { started: true; runDir: string }
  | { started: false; reason: 'untrusted' | 'no-dataset' | 'cancelled' | 'setup' | 'errors' | 'warnings' | 'project-file' | 'node'; detail?: string };

/** Settings for this run only, as `--set section.key=value` (the walkthrough trains r = 8 and r = 64 this way); the run's config.json records them. */
export interface StartOptions {
  set?: readonly string[];
}

export async function startTraining(host: TrainingHost, kind: TrainingKind, datasetArg?: vscode.Uri, options: StartOptions = {}): Promise<StartResult> {
  if (!trainingAllowed()) return { started: false, reason: 'untrusted' };
  const dataset = datasetArg ?? (await chooseDataset());
  if (!dataset) return { started: false, reason: 'no-dataset' };

  const project = await ensureTrainingSettings(dataset, kind);
  if ('reason' in project) return project;

  const verdict = await checkBeforeTraining(host, dataset);
  if (verdict) return verdict;

  let settings: ReturnType<typeof trainingSettings>;
  try {
    settings = trainingSettings();
  } catch (error) {
    if (!(error instanceof NodeRuntimeError)) throw error;
    void vscode.window.showErrorMessage(`SFT Studio: ${error.message}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'sftStudio.nodePath');
    });
    return { started: false, reason: 'node', detail: error.message };
  }
  const runDir = newRunFolder(project.file, project.raw, dataset.fsPath);
  const run = host.registry.launch(runDir, {
    runtime: settings.runtime,
    cliPath: host.cliPath,
    cwd: path.dirname(project.file),
    args: [project.file, '--set', `dataset=${dataset.fsPath}`, '--set', `quantization.load_in_4bit=${kind === 'qlora'}`, ...(options.set ?? []).flatMap((s) => ['--set', s]), '--output-dir', runDir, '--backend', settings.backend],
  }, { dataset: dataset.fsPath, model: typeof project.raw['model'] === 'string' ? project.raw['model'] : '' });
  host.panels.show(run, true);
  showProgressUntilEnd(host, run);
  return { started: true, runDir };
}

async function chooseDataset(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === LANGUAGE_ID) return active.uri;
  const files = await vscode.workspace.findFiles('**/*.sft.jsonl', '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showWarningMessage('SFT Studio: no .sft.jsonl dataset in this workspace to train on. Create one (one {"messages": [...]} example a line) and run the command again.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), { title: 'Train on which dataset?' });
  return picked?.uri;
}

/** The project file with training settings in it, written by the form when it had none. */
async function ensureTrainingSettings(dataset: vscode.Uri, kind: TrainingKind): Promise<{ file: string; raw: Record<string, unknown> } | Extract<StartResult, { started: false }>> {
  const existing = findProjectFile(path.dirname(dataset.fsPath));
  const file = existing ?? path.join(path.dirname(dataset.fsPath), PROJECT_FILE_NAME);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open?.isDirty && !(await open.save())) return { started: false, reason: 'cancelled' };
  const text = existing ? fs.readFileSync(existing, 'utf8') : '';
  let raw: Record<string, unknown>;
  try {
    const value: unknown = text.trim().length > 0 ? JSON.parse(text) : {};
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('it must hold a JSON object');
    raw = value as Record<string, unknown>;
  } catch (error) {
    const message = `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix it, then start training again.`;
    void vscode.window.showErrorMessage(`SFT Studio: ${message}`, 'Open sft-studio.json').then((choice) => {
      if (choice) void vscode.window.showTextDocument(vscode.Uri.file(file));
    });
    return { started: false, reason: 'project-file', detail: message };
  }
  if (hasTrainingSettings(raw)) return { file, raw };

  const values = await showTrainForm(formDefaults(raw, kind === 'qlora'), `${kind === 'qlora' ? 'QLoRA' : 'LoRA'} training on ${path.basename(dataset.fsPath)}`);
  if (!values) return { started: false, reason: 'cancelled' };
  const members = formMembers(raw, values, path.relative(path.dirname(file), dataset.fsPath).split(path.sep).join('/'));
  const uri = vscode.Uri.file(file);
  const edit = new vscode.WorkspaceEdit();
  if (!existing) edit.createFile(uri, { ignoreIfExists: true });
  const doc = existing ? await vscode.workspace.openTextDocument(uri) : undefined;
  const change = setProjectMembers(doc?.getText() ?? '', members);
  if (!change.ok) {
    void vscode.window.showErrorMessage(`SFT Studio: ${change.message}`);
    return { started: false, reason: 'project-file', detail: change.message };
  }
  // One undoable edit in the project file, saved so the trainer (and the CLI) read it.
  for (const e of change.edits) {
    if (doc) edit.replace(uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
    else edit.insert(uri, new vscode.Position(0, 0), e.newText);
  }
  if (!(await vscode.workspace.applyEdit(edit))) return { started: false, reason: 'project-file', detail: `could not write ${file}` };
  const written = await vscode.workspace.openTextDocument(uri);
  await written.save();
  return { file, raw: JSON.parse(written.getText()) as Record<string, unknown> };
}

/**
 * The live checker's verdict on the dataset as saved (the trainer reads the file): errors block
 * with "Show Problems", warnings ask. Undefined means go ahead.
 */
async function checkBeforeTraining(host: TrainingHost, dataset: vscode.Uri): Promise<Extract<StartResult, { started: false }> | undefined> {
  const doc = await vscode.workspace.openTextDocument(dataset);
  if (doc.isDirty) {
    const choice = await vscode.window.showWarningMessage(`${path.basename(dataset.fsPath)} has unsaved changes; the trainer reads the file on disk.`, { modal: true }, 'Save and Train');
    if (choice !== 'Save and Train' || !(await doc.save())) return { started: false, reason: 'cancelled' };
  }
  const cancel = new vscode.CancellationTokenSource();
  const checked = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SFT Studio: checking ${path.basename(dataset.fsPath)} before training`, cancellable: true }, (_progress, token) => {
    token.onCancellationRequested(() => cancel.cancel());
    return host.diagnostics.whenChecked(doc, cancel.token);
  });
  if (cancel.token.isCancellationRequested) return { started: false, reason: 'cancelled' };
  const ours = vscode.languages.getDiagnostics(dataset).filter((d) => d.source === DIAGNOSTIC_SOURCE);
  const showProblems = (message: string): void => {
    void vscode.window.showErrorMessage(message, 'Show Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  };
  if (!checked) {
    const detail = ours.find((d) => d.severity === vscode.DiagnosticSeverity.Error)?.message ?? 'the model or template named in sft-studio.json cannot be loaded';
    showProblems(`SFT Studio: cannot train: ${detail}`);
    return { started: false, reason: 'setup', detail };
  }
  const errors = ours.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  if (errors.length > 0) {
    const detail = `${errors.length} error${errors.length === 1 ? '' : 's'} in ${path.basename(dataset.fsPath)} (first: line ${errors[0]!.range.start.line + 1}, ${errors[0]!.message})`;
    showProblems(`SFT Studio: training is blocked by ${detail}. Fix them first.`);
    return { started: false, reason: 'errors', detail };
  }
  const warnings = ours.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning);
  if (warnings.length > 0) {
    const choice = await vscode.window.showWarningMessage(
      `${path.basename(dataset.fsPath)} has ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (first: line ${warnings[0]!.range.start.line + 1}, ${warnings[0]!.message}). Train anyway?`,
      { modal: true }, 'Train Anyway', 'Show Problems',
    );
    if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
    if (choice !== 'Train Anyway') return { started: false, reason: 'warnings', detail: `${warnings.length} warnings` };
  }
  return undefined;
}

/** `output_dir` from the project file when it is still free, else `runs/<dataset>-<time>` beside the project file. */
function newRunFolder(projectFile: string, raw: Record<string, unknown>, dataset: string): string {
  const base = path.dirname(projectFile);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  if (typeof raw['output_dir'] === 'string' && raw['output_dir'].length > 0) {
    const dir = path.resolve(base, raw['output_dir']);
    return fs.existsSync(path.join(dir, RUN_FILES.events)) ? `${dir}-${stamp}` : dir;
  }
  const name = path.basename(dataset).replace(/(\.sft)?\.jsonl$/i, '');
  let dir = path.join(base, 'runs', `${name}-${stamp}`);
  for (let n = 2; fs.existsSync(dir); n++) dir = path.join(base, 'runs', `${name}-${stamp}-${n}`);
  return dir;
}

/** A notification while the run trains; cancelling it stops the run (after saving). */
export function showProgressUntilEnd(host: TrainingHost, run: TrainingRun): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Training ${run.info.name}`, cancellable: true }, (progress, token) => new Promise<void>((resolve) => {
    let reported = 0;
    const unsubscribe = host.registry.onChange((change) => {
      if (change.run !== run) return;
      const total = run.state.started?.totalSteps;
      const step = run.state.steps[run.state.steps.length - 1]?.step ?? 0;
      const percent = total ? (100 * step) / total : 0;
      progress.report({ message: run.state.started ? `step ${step}/${total ?? '?'}${run.state.steps.length > 0 ? `, loss ${run.state.steps[run.state.steps.length - 1]!.loss.toFixed(3)}` : ''}` : 'loading the model…', increment: percent - reported });
      reported = percent;
      if (!run.live || change.removed) {
        unsubscribe();
        resolve();
      }
    });
    token.onCancellationRequested(() => host.registry.stop(run));
  }));
}
