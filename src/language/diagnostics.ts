/**
 * Keeps diagnostics of open `.sft.jsonl` documents current: one {@link DatasetDocument} per
 * document, fed with exactly the lines each edit touched. A document is first checked in time
 * slices, so a large file never blocks the extension host; the project setup (template and
 * tokenizer) is loaded once per project file and reloaded when sft-studio.json changes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { affectsEditorSettings, readEditorSettings } from '../config';
import { DatasetDocument } from '../dataset/datasetDocument';
import { findProjectFile, loadCheckSetup, type CheckSetup } from '../dataset/load/checkSetup';
import { PROJECT_FILE_NAME } from '../common/projectFile';
import { setupDiagnostic, toDiagnostic } from './convert';

export const LANGUAGE_ID = 'sft-jsonl';

/** Documents share a setup when they share a project file (or, without one, a folder). */
export function setupKey(doc: vscode.TextDocument): string {
  const dir = path.dirname(doc.uri.fsPath);
  return findProjectFile(dir) ?? `(no project file):${dir}`;
}
/** How long one slice of a first check may hold the extension host. */
const SLICE_MS = 30;

interface TrackedDocument {
  model: DatasetDocument;
  publishTimer?: NodeJS.Timeout;
  sliceTimer?: NodeJS.Timeout;
}

export class DatasetDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('sft-studio');
  private readonly tracked = new Map<string, TrackedDocument>();
  private readonly setups = new Map<string, CheckSetup | Error>();
  private readonly disposables: vscode.Disposable[] = [];

  /** Fires when a document's diagnostics were published, and when setups are reloaded. */
  private readonly changed = new vscode.EventEmitter<vscode.Uri | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel, private readonly ruleLink: (code: string) => vscode.Uri | undefined) {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((doc) => this.open(doc)),
      vscode.workspace.onDidChangeTextDocument((event) => this.change(event)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.close(doc)),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (path.basename(doc.fileName) === PROJECT_FILE_NAME) this.reloadAll();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affectsEditorSettings(event)) this.reloadAll();
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.open(doc);
  }

  /** The setup a document is checked with, once loaded (an Error when the project file is broken). */
  setupFor(doc: vscode.TextDocument): CheckSetup | Error | undefined {
    return this.setups.get(setupKey(doc));
  }

  /** The setup of a document, loading it if no open document has needed it yet. */
  ensureSetup(doc: vscode.TextDocument): CheckSetup | Error {
    const key = setupKey(doc);
    return this.setups.get(key) ?? this.loadSetup(doc, key);
  }

  /** The checked model of an open dataset, for hovers, fixes and statistics. */
  documentModel(uri: vscode.Uri): DatasetDocument | undefined {
    return this.tracked.get(uri.toString())?.model;
  }

  /**
   * The document's model once every line is checked; undefined when cancelled, or when the
   * project setup is broken (its diagnostic says why).
   */
  whenChecked(doc: vscode.TextDocument, cancel: vscode.CancellationToken): Promise<DatasetDocument | undefined> {
    this.open(doc);
    return new Promise((resolve) => {
      const done = (model: DatasetDocument | undefined): void => {
        listener.dispose();
        cancelled.dispose();
        resolve(model);
      };
      const check = (): void => {
        const model = this.documentModel(doc.uri);
        if (model && model.pendingLines === 0) done(model);
        else if (this.setupFor(doc) instanceof Error) done(undefined);
      };
      const listener = this.onDidChange(check);
      const cancelled = cancel.onCancellationRequested(() => done(undefined));
      check();
    });
  }

  /**
   * Forgets every setup and checks every open dataset again (after sft-studio.json changes, or
   * on "Re-check Dataset"); model folders are read again where their files changed.
   */
  reloadAll(): void {
    this.setups.clear();
    this.changed.fire(undefined);
    for (const doc of vscode.workspace.textDocuments) {
      this.close(doc);
      this.open(doc);
    }
  }

  /** Starts checking a dataset document (once); its diagnostics follow when the check is done. */
  open(doc: vscode.TextDocument): void {
    if (doc.languageId !== LANGUAGE_ID || this.tracked.has(doc.uri.toString())) return;
    if (!readEditorSettings(doc.uri).checkEnabled) return;
    const key = setupKey(doc);
    const cached = this.setups.get(key);
    if (cached) {
      this.startTracking(doc, cached);
      return;
    }
    // Loading a tokenizer takes a second or two: show it, and let the progress render first.
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'SFT Studio: loading the chat template and tokenizer' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const setup = this.setups.get(key) ?? this.loadSetup(doc, key);
      if (!doc.isClosed) this.startTracking(doc, setup);
    });
  }

  private startTracking(doc: vscode.TextDocument, setup: CheckSetup | Error): void {
    if (this.tracked.has(doc.uri.toString())) return;
    if (setup instanceof Error) {
      this.collection.set(doc.uri, [setupDiagnostic(setup.message)]);
      this.changed.fire(doc.uri);
      return;
    }
    const model = new DatasetDocument({ context: setup.context, overrides: setup.overrides, notes: setup.notes });
    model.setText(doc.getText(), { defer: true });
    const tracked: TrackedDocument = { model };
    this.tracked.set(doc.uri.toString(), tracked);
    this.checkInSlices(doc.uri, tracked);
  }

  private change(event: vscode.TextDocumentChangeEvent): void {
    const tracked = this.tracked.get(event.document.uri.toString());
    if (!tracked) return;
    // Each change names the range it replaced in the text as it was before; applied in order.
    for (const change of event.contentChanges) tracked.model.applyChange(change.range.start, change.range.end, change.text);
    if (tracked.model.pendingLines > 0) this.checkInSlices(event.document.uri, tracked);
    this.schedulePublish(event.document.uri, tracked);
  }

  private close(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const tracked = this.tracked.get(key);
    if (tracked) {
      clearTimeout(tracked.publishTimer);
      clearTimeout(tracked.sliceTimer);
      this.tracked.delete(key);
    }
    this.collection.delete(doc.uri);
  }

  private checkInSlices(uri: vscode.Uri, tracked: TrackedDocument): void {
    clearTimeout(tracked.sliceTimer);
    const step = (): void => {
      if (this.tracked.get(uri.toString()) !== tracked) return;
      const left = tracked.model.checkPending(SLICE_MS);
      if (left > 0) tracked.sliceTimer = setTimeout(step, 0);
      else this.publish(uri, tracked);
    };
    tracked.sliceTimer = setTimeout(step, 0);
  }

  private schedulePublish(uri: vscode.Uri, tracked: TrackedDocument): void {
    clearTimeout(tracked.publishTimer);
    tracked.publishTimer = setTimeout(() => this.publish(uri, tracked), readEditorSettings(uri).debounceMs);
  }

  private publish(uri: vscode.Uri, tracked: TrackedDocument): void {
    if (this.tracked.get(uri.toString()) !== tracked) return;
    this.collection.set(uri, tracked.model.allFindings().map((finding) => toDiagnostic(finding, uri, this.ruleLink)));
    this.changed.fire(uri);
  }

  /** Loads the setup of the document's project; a broken project file comes back as an Error to show. */
  private loadSetup(doc: vscode.TextDocument, key: string): CheckSetup | Error {
    let setup: CheckSetup | Error;
    try {
      setup = loadCheckSetup(path.dirname(doc.uri.fsPath), {});
      this.log.info(`Loaded check setup for ${key}: template ${setup.context.template?.info.name ?? 'none'}, tokenizer ${setup.context.tokenizer ? 'yes' : 'no'}`);
    } catch (error) {
      setup = error instanceof Error ? error : new Error(String(error));
      this.log.error(`Cannot load the check setup for ${doc.uri.fsPath}: ${setup.message}`);
    }
    this.setups.set(key, setup);
    return setup;
  }

  dispose(): void {
    for (const tracked of this.tracked.values()) {
      clearTimeout(tracked.publishTimer);
      clearTimeout(tracked.sliceTimer);
    }
    for (const disposable of this.disposables) disposable.dispose();
    this.changed.dispose();
  }
}
