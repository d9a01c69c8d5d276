/**
 * Keeps diagnostics of open `.sft.jsonl` documents current. The checking itself runs in the
 * document service on a worker thread (`documentClient.ts`), so neither loading a tokenizer nor
 * checking 100,000 lines blocks the editor: this side sends each document and each edit there,
 * and turns the findings that come back into diagnostics.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { affectsEditorSettings, readEditorSettings } from '../config';
import { PROJECT_FILE_NAME } from '../common/projectFile';
import type { Finding } from '../dataset/rules';
import type { ServiceResults, SetupSummary } from '../dataset/service/documentProtocol';
import { setupDiagnostic, toDiagnostic } from './convert';
import type { DocumentClient } from './documentClient';

export const LANGUAGE_ID = 'sft-jsonl';
/** Reload requests this close together are sent to the document service as one. */
const RELOAD_COALESCE_MS = 50;

interface TrackedDocument {
  /** Set by an edit, cleared when the service reports the document fully checked. */
  checked: boolean;
  setup?: SetupSummary;
  publishTimer?: NodeJS.Timeout | undefined;
  /** When diagnostics were last shown (performance.now()), for the debounce. */
  publishedAt: number;
}

export class DatasetDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('sft-studio');
  private readonly tracked = new Map<string, TrackedDocument>();
  /** Set while a reload waits to be sent; findings arriving meanwhile are from the old setup. */
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Fires when a document's diagnostics were published, and when setups are reloaded. */
  private readonly changed = new vscode.EventEmitter<vscode.Uri | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly service: DocumentClient, private readonly ruleLink: (code: string) => vscode.Uri | undefined) {
    this.disposables.push(
      this.collection,
      this.changed,
      service.onDiagnostics((message) => this.received(message.doc, message.findings, message.setup, message.pendingLines)),
      service.onRestart(() => this.reopenAll()),
      vscode.workspace.onDidOpenTextDocument((doc) => this.open(doc)),
      vscode.workspace.onDidChangeTextDocument((event) => this.change(event)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.close(doc)),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (path.basename(doc.fileName) === PROJECT_FILE_NAME) this.reloadAll();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affectsEditorSettings(event)) this.reopenAll();
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.open(doc);
  }

  /** The setup a document is checked with, once the service reported it. */
  setupFor(doc: vscode.TextDocument): SetupSummary | undefined {
    return this.tracked.get(doc.uri.toString())?.setup;
  }

  /** The findings of one line, with their fixes. */
  lineFindings(doc: vscode.TextDocument, line: number): Promise<Finding[]> {
    return this.tracked.has(doc.uri.toString()) ? this.service.request({ kind: 'lineFindings', doc: doc.uri.toString(), line }) : Promise.resolve([]);
  }

  /** The formatted example of a line's text under the document's setup. */
  preview(doc: vscode.TextDocument, text: string): Promise<ServiceResults['preview']> {
    this.open(doc);
    return this.service.request({ kind: 'preview', doc: doc.uri.toString(), text });
  }

  /** The document's statistics, once every line is checked; undefined when the setup is broken. */
  statistics(doc: vscode.TextDocument): Promise<ServiceResults['statistics']> {
    this.open(doc);
    return this.service.request({ kind: 'statistics', doc: doc.uri.toString() });
  }

  /**
   * Resolves true once every line of the document is checked and its diagnostics are published;
   * false when cancelled or when the project setup is broken (its diagnostic says why).
   */
  whenChecked(doc: vscode.TextDocument, cancel: vscode.CancellationToken): Promise<boolean> {
    this.open(doc);
    return new Promise((resolve) => {
      const done = (checked: boolean): void => {
        listener.dispose();
        cancelled.dispose();
        resolve(checked);
      };
      const check = (): void => {
        const tracked = this.tracked.get(doc.uri.toString());
        if (!tracked?.checked || tracked.publishTimer) return;
        done(tracked.setup?.ok !== false);
      };
      const listener = this.onDidChange(check);
      const cancelled = cancel.onCancellationRequested(() => done(false));
      check();
    });
  }

  /**
   * Forgets every setup and checks every open dataset again (after sft-studio.json changes, or
   * on "Re-check Dataset"); model folders are read again where their files changed.
   */
  reloadAll(): void {
    for (const tracked of this.tracked.values()) tracked.checked = false;
    this.changed.fire(undefined);
    // Choosing a model both saves sft-studio.json and asks for a reload: one re-check serves both.
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.service.post({ type: 'setups/reload' });
    }, RELOAD_COALESCE_MS);
  }

  /** Starts checking a dataset document (once); its diagnostics follow when the check is done. */
  open(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (doc.languageId !== LANGUAGE_ID || this.tracked.has(key)) return;
    if (!readEditorSettings(doc.uri).checkEnabled) return;
    this.tracked.set(key, { checked: false, publishedAt: -Infinity });
    // A saved file is read by the service itself: no copy of a large text crosses threads.
    const fromFile = doc.uri.scheme === 'file' && !doc.isDirty;
    this.service.post({
      type: 'document/open', doc: key, datasetDir: path.dirname(doc.uri.fsPath),
      ...(fromFile ? { file: doc.uri.fsPath } : { text: doc.getText() }),
    });
  }

  private change(event: vscode.TextDocumentChangeEvent): void {
    const key = event.document.uri.toString();
    const tracked = this.tracked.get(key);
    if (!tracked || event.contentChanges.length === 0) return;
    tracked.checked = false;
    // Each change names the range it replaced in the text as it was before; applied in order.
    const changes = event.contentChanges.map((c) => ({ startLine: c.range.start.line, startCharacter: c.range.start.character, endLine: c.range.end.line, endCharacter: c.range.end.character, text: c.text }));
    this.service.post({ type: 'document/change', doc: key, changes });
  }

  private close(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const tracked = this.tracked.get(key);
    if (!tracked) return;
    clearTimeout(tracked.publishTimer);
    this.tracked.delete(key);
    this.service.post({ type: 'document/close', doc: key });
    this.collection.delete(doc.uri);
  }

  /** Opens every dataset again in a new service (after a restart or a settings change). */
  private reopenAll(): void {
    for (const [key, tracked] of this.tracked) {
      clearTimeout(tracked.publishTimer);
      this.tracked.delete(key);
      this.service.post({ type: 'document/close', doc: key });
      this.collection.delete(vscode.Uri.parse(key));
    }
    for (const doc of vscode.workspace.textDocuments) this.open(doc);
  }

  /**
   * Findings from the service. They are shown at once when nothing was shown for the debounce
   * delay (a single edit gets its diagnostic without waiting), and otherwise at most once per
   * delay while typing goes on, the latest winning.
   */
  private received(key: string, findings: Finding[], setup: SetupSummary, pendingLines: number): void {
    const tracked = this.tracked.get(key);
    if (!tracked || this.reloadTimer) return;
    const first = tracked.setup === undefined;
    tracked.setup = setup;
    tracked.checked = pendingLines === 0;
    clearTimeout(tracked.publishTimer);
    const uri = vscode.Uri.parse(key);
    const publish = (): void => {
      tracked.publishTimer = undefined;
      if (this.tracked.get(key) !== tracked) return;
      tracked.publishedAt = performance.now();
      this.collection.set(uri, setup.ok ? findings.map((finding) => toDiagnostic(finding, uri, this.ruleLink)) : [setupDiagnostic(setup.error)]);
      this.changed.fire(uri);
    };
    const wait = tracked.publishedAt + readEditorSettings(uri).debounceMs - performance.now();
    if (first || !tracked.checked || wait <= 0) publish();
    else tracked.publishTimer = setTimeout(publish, wait);
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    for (const tracked of this.tracked.values()) clearTimeout(tracked.publishTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }
}
