/**
 * The model picker: a status-bar item that names the active dataset's model or template and the
 * project file it comes from, and a quick pick of built-in templates, model folders in the
 * workspace and models in the local Hugging Face cache. Choosing writes sft-studio.json.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hubCacheDir, isHubId, isModelFolder, listCachedModels } from '../dataset/load/hubCache';
import { findProjectFile } from '../dataset/load/checkSetup';
import { catalogEntries } from '../dataset/templateCatalog';
import type { DatasetDiagnostics } from './diagnostics';
import { LANGUAGE_ID } from './diagnostics';
import { writeProjectSetting } from './projectWriter';

export const CHOOSE_MODEL_COMMAND = 'sftStudio.chooseModel';

/** A choice: a setting to write, or the download entry. */
export interface ModelChoice {
  key: 'model' | 'template';
  value: string;
}

interface ChoiceItem extends vscode.QuickPickItem {
  choice?: ModelChoice;
  download?: true;
}

export class ModelPicker implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sftStudio.model', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly diagnostics: DatasetDiagnostics, private readonly download?: () => Promise<ModelChoice | undefined>) {
    this.item.name = 'SFT Studio model';
    this.item.command = CHOOSE_MODEL_COMMAND;
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      diagnostics.onDidChange(() => this.update()),
    );
    this.update();
  }

  /** Shows the quick pick (or applies `choice` directly) for the active dataset, then re-checks. */
  async choose(choice?: ModelChoice, dataset = vscode.window.activeTextEditor?.document.uri): Promise<void> {
    if (!dataset || dataset.scheme !== 'file') {
      void vscode.window.showWarningMessage('SFT Studio: open a .sft.jsonl dataset first; the model is set in the sft-studio.json next to it.');
      return;
    }
    const picked = choice ?? (await this.pick(dataset));
    if (!picked) return;
    try {
      const written = await writeProjectSetting(dataset, picked.key, picked.value);
      this.diagnostics.reloadAll();
      void vscode.window.setStatusBarMessage(`SFT Studio: ${picked.key} set to ${picked.value} in ${vscode.workspace.asRelativePath(written)}`, 4000);
    } catch (error) {
      void vscode.window.showErrorMessage(`SFT Studio: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async pick(dataset: vscode.Uri): Promise<ModelChoice | undefined> {
    const items = await this.items(dataset);
    const picked = await vscode.window.showQuickPick(items, { title: 'SFT Studio: choose the model or chat template', placeHolder: 'Type to filter: a template name, a folder, a hub id', matchOnDescription: true });
    if (!picked) return undefined;
    if (picked.download) return this.download?.();
    return picked.choice;
  }

  private async items(dataset: vscode.Uri): Promise<ChoiceItem[]> {
    const projectDir = path.dirname(findProjectFile(path.dirname(dataset.fsPath)) ?? dataset.fsPath);
    const items: ChoiceItem[] = [];
    if (this.download) items.push({ label: '$(cloud-download) Download from Hugging Face…', detail: `Fetch a model's config, tokenizer, chat template and weights into ${hubCacheDir()}`, download: true });
    const folders = (await vscode.workspace.findFiles('**/{tokenizer.json,tokenizer_config.json}', '**/node_modules/**', 500))
      .map((uri) => path.dirname(uri.fsPath))
      .filter((dir, i, all) => all.indexOf(dir) === i && isModelFolder(dir));
    if (folders.length > 0) items.push({ label: 'Model folders in the workspace', kind: vscode.QuickPickItemKind.Separator });
    for (const dir of folders) {
      const relative = path.relative(projectDir, dir).split(path.sep).join('/');
      const value = relative.startsWith('.') ? relative : `./${relative}`;
      items.push({ label: `$(folder) ${path.basename(dir)}`, description: value, choice: { key: 'model', value } });
    }
    const cached = listCachedModels();
    if (cached.length > 0) items.push({ label: `Hugging Face cache (${hubCacheDir()})`, kind: vscode.QuickPickItemKind.Separator });
    for (const id of cached) items.push({ label: `$(database) ${id}`, description: 'cached model', choice: { key: 'model', value: id } });
    items.push({ label: 'Built-in chat templates (no tokenizer: token counts need a model)', kind: vscode.QuickPickItemKind.Separator });
    for (const entry of catalogEntries()) items.push({ label: `$(symbol-namespace) ${entry.name}`, description: 'template', choice: { key: 'template', value: entry.name } });
    // The setting in force is marked, so the list also answers "what am I using?".
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === dataset.toString());
    const setup = doc ? this.diagnostics.setupFor(doc) : undefined;
    if (setup?.ok) {
      for (const item of items) {
        const current = item.choice && (item.choice.key === 'model' ? item.choice.value === setup.model : !setup.model && item.choice.value === setup.template);
        if (current) item.description = `${item.description ?? ''} · current`;
      }
    }
    return items;
  }

  /** Names the active dataset's model or template and where it is set. */
  private update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== LANGUAGE_ID) {
      this.item.hide();
      return;
    }
    const setup = this.diagnostics.setupFor(doc);
    if (setup && !setup.ok) {
      this.item.text = '$(warning) SFT: project error';
      this.item.tooltip = `${setup.error}\n\nClick to choose a model or template.`;
    } else if (setup) {
      const template = setup.template;
      // A folder shows its name; a hub id (org/name) is short already.
      const shown = setup.model ? (isHubId(setup.model) ? setup.model : path.basename(setup.model)) : template ?? 'no model';
      const from = setup.projectFile ? vscode.workspace.asRelativePath(setup.projectFile) : 'no sft-studio.json';
      this.item.text = `$(symbol-namespace) ${shown}`;
      this.item.tooltip = [
        setup.model ? `Model: ${setup.model}` : 'Model: none (no tokenizer, so no token counts)',
        `Chat template: ${template ?? 'none'}`,
        `From: ${from}`,
        '',
        'Click to choose another model or template.',
      ].join('\n');
    } else {
      this.item.text = '$(loading~spin) SFT';
      this.item.tooltip = 'Loading the chat template and tokenizer';
    }
    this.item.show();
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
