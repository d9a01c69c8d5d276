/**
 * The document service: the editor's open datasets, each a {@link DatasetDocument} checked with
 * the setup of its project file, answering the host's requests (line findings, previews,
 * statistics). It runs on a worker thread (`documentWorker.ts`) and is plain Node, so it is
 * tested without an editor. A first check runs in slices, so requests are answered between them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { DatasetDocument } from '../datasetDocument';
import { previewLine, previewMarkdown } from '../hoverText';
import { findProjectFile, loadCheckSetup, type CheckSetup } from '../load/checkSetup';
import type { FileLine } from '../load/lineReader';
import { checkLinesInParallel, CheckWorkerPool } from '../load/parallelCheck';
import { DOCUMENT_PROTOCOL_VERSION, type DocumentChange, type HostMessage, type ServiceMessage, type ServiceRequest, type SetupSummary } from './documentProtocol';

/** How long one slice of a first check may run before messages are read again. */
const SLICE_MS = 30;
/** Documents this large are first checked on worker threads, as `sft-studio check` does large files. */
const PARALLEL_MIN_CHARS = 2_000_000;

interface OpenDocument {
  datasetDir: string;
  setupKey: string;
  /** The document's lines; when the setup failed they are kept (for a reload) but not checked. */
  model: DatasetDocument;
  setupFailed: boolean;
  /** Statistics requests that wait for the first check to end. */
  waiting: Array<() => void>;
}

/** Holds the lines of a document whose setup failed, so edits still apply until it loads. */
const UNCHECKED = { context: { maxLength: 1 } };

export class DocumentService {
  private readonly docs = new Map<string, OpenDocument>();
  private readonly setups = new Map<string, CheckSetup | Error>();
  private slicing = false;

  constructor(
    private readonly send: (message: ServiceMessage) => void,
    private readonly schedule: (run: () => void) => void = setImmediate,
    /** Worker threads for the first check of a large document; 1 checks on this thread only. */
    private readonly jobs = Math.min(2, os.availableParallelism()),
  ) {}

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'service/hello':
        if (message.protocol !== DOCUMENT_PROTOCOL_VERSION) this.log('error', `protocol ${message.protocol} asked, ${DOCUMENT_PROTOCOL_VERSION} spoken`);
        return;
      case 'document/open': return this.open(message.doc, message.datasetDir, message.file, message.text);
      case 'document/change': return this.change(message.doc, message.changes);
      case 'document/close':
        this.docs.delete(message.doc);
        return;
      case 'setups/reload': return this.reload();
      case 'request': return this.answer(message.id, message.request);
    }
  }

  private open(doc: string, datasetDir: string, file: string | undefined, text: string | undefined): void {
    let content = text ?? '';
    if (file !== undefined) {
      try {
        // The editor does not show a UTF-8 byte order mark as text; neither does the check.
        content = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      } catch (error) {
        this.log('error', `Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const entry: OpenDocument = { datasetDir, setupKey: setupKeyOf(datasetDir), model: new DatasetDocument(UNCHECKED), setupFailed: false, waiting: [] };
    this.docs.set(doc, entry);
    this.startCheck(doc, entry, content);
  }

  /** Loads (or reuses) the document's setup and queues every line for checking. */
  private startCheck(doc: string, entry: OpenDocument, text: string): void {
    const setup = this.setupFor(entry);
    entry.setupFailed = setup instanceof Error;
    entry.model = new DatasetDocument(setup instanceof Error ? UNCHECKED : { context: setup.context, overrides: setup.overrides, notes: setup.notes });
    entry.model.setText(text, { defer: true });
    if (entry.setupFailed) this.publish(doc, entry);
    else if (text.length >= PARALLEL_MIN_CHARS && this.jobs > 1) void this.checkInParallel(doc, entry);
    else this.continueSlices();
  }

  /**
   * The first check of a large document on worker threads, each with its own template and
   * tokenizer; results come back in order. Lines edited meanwhile are checked here; a failed
   * worker leaves the rest to the slices.
   */
  private async checkInParallel(doc: string, entry: OpenDocument): Promise<void> {
    const model = entry.model;
    const lines = model.handOutPending();
    const current = (): boolean => this.docs.get(doc) === entry && entry.model === model;
    const pool = new CheckWorkerPool({ datasetDir: entry.datasetDir, flags: {} }, this.jobs);
    async function* source(): AsyncGenerator<FileLine> {
      for (let index = 0; index < lines.length; index++) yield { index, text: lines[index]!.text, bytesRead: 0 };
    }
    let received = 0;
    try {
      for await (const { result } of checkLinesInParallel(source(), pool)) {
        if (!current()) break; // closed or reloaded: the generator ends the workers
        model.acceptResult(lines[received++]!, result);
      }
    } catch (error) {
      this.log('error', `The parallel check of ${doc} failed, checking here instead: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!current()) return;
    model.returnUnchecked(lines.slice(received));
    if (model.queuedLines > 0) this.continueSlices();
    else this.publish(doc, entry);
  }

  private change(doc: string, changes: readonly DocumentChange[]): void {
    const entry = this.docs.get(doc);
    if (!entry) return;
    for (const c of changes) entry.model.applyChange({ line: c.startLine, character: c.startCharacter }, { line: c.endLine, character: c.endCharacter }, c.text);
    if (entry.setupFailed) return;
    if (entry.model.queuedLines > 0) this.continueSlices();
    else if (entry.model.pendingLines === 0) this.publish(doc, entry);
  }

  /** Checks pending lines of every document, a slice at a time, publishing each as it completes. */
  private continueSlices(): void {
    if (this.slicing) return;
    this.slicing = true;
    const step = (): void => {
      for (const [doc, entry] of this.docs) {
        if (entry.setupFailed || entry.model.queuedLines === 0) continue;
        const remaining = entry.model.checkPending(SLICE_MS);
        // Lines still out on worker threads are published when they come back.
        if (remaining === 0 && entry.model.pendingLines === 0) this.publish(doc, entry);
        break; // one slice per turn, then read messages again
      }
      if ([...this.docs.values()].some((e) => !e.setupFailed && e.model.queuedLines > 0)) this.schedule(step);
      else this.slicing = false;
    };
    this.schedule(step);
  }

  private publish(doc: string, entry: OpenDocument): void {
    const setup = this.setups.get(entry.setupKey);
    const pendingLines = entry.setupFailed ? 0 : entry.model.pendingLines;
    this.send({ type: 'document/diagnostics', doc, findings: entry.setupFailed ? [] : entry.model.allFindings(), setup: summarize(setup), pendingLines });
    if (pendingLines === 0) for (const resume of entry.waiting.splice(0)) resume();
  }

  private reload(): void {
    this.setups.clear();
    for (const [doc, entry] of this.docs) {
      const lines: string[] = [];
      for (let i = 0; i < entry.model.lineCount; i++) lines.push(entry.model.lineText(i) ?? '');
      // A project file may have appeared or gone.
      entry.setupKey = setupKeyOf(entry.datasetDir);
      this.startCheck(doc, entry, lines.join('\n'));
    }
  }

  private answer(id: number, request: ServiceRequest): void {
    const reply = (result: unknown): void => this.send({ type: 'response', id, result });
    const entry = this.docs.get(request.doc);
    switch (request.kind) {
      case 'lineFindings':
        reply(entry && !entry.setupFailed ? entry.model.lineFindings(request.line) : []);
        return;
      case 'preview': {
        const setup = entry ? this.setupFor(entry) : undefined;
        if (!setup) return reply(undefined);
        if (setup instanceof Error) return reply({ error: setup.message });
        const preview = previewLine(request.text, setup.context);
        const hasTokenizer = setup.context.tokenizer !== undefined;
        reply({ markdown: previewMarkdown(preview, hasTokenizer), preview, hasTokenizer });
        return;
      }
      case 'statistics': {
        if (!entry || entry.setupFailed) return reply(undefined);
        const model = entry.model;
        if (model.pendingLines === 0) return reply(model.statistics());
        entry.waiting.push(() => reply(model.statistics()));
        return;
      }
    }
  }

  private setupFor(entry: OpenDocument): CheckSetup | Error {
    const cached = this.setups.get(entry.setupKey);
    if (cached) return cached;
    let setup: CheckSetup | Error;
    try {
      setup = loadCheckSetup(entry.datasetDir, {});
      this.log('info', `Loaded the check setup of ${entry.setupKey}: template ${setup.context.template?.info.name ?? 'none'}, tokenizer ${setup.context.tokenizer ? 'yes' : 'no'}`);
    } catch (error) {
      setup = error instanceof Error ? error : new Error(String(error));
      this.log('error', `Cannot load the check setup for ${entry.datasetDir}: ${setup.message}`);
    }
    this.setups.set(entry.setupKey, setup);
    return setup;
  }

  private log(level: 'info' | 'error', message: string): void {
    this.send({ type: 'service/log', level, message });
  }
}

function summarize(setup: CheckSetup | Error | undefined): SetupSummary {
  if (setup instanceof Error) return { ok: false, error: setup.message };
  if (!setup) return { ok: true, hasTokenizer: false };
  const summary: SetupSummary = { ok: true, hasTokenizer: setup.context.tokenizer !== undefined };
  if (setup.model) summary.model = setup.model;
  if (setup.context.template) summary.template = setup.context.template.info.name;
  if (setup.projectFile) summary.projectFile = setup.projectFile;
  return summary;
}

/** Documents share a setup when they share a project file (or, without one, a folder). */
function setupKeyOf(datasetDir: string): string {
  return findProjectFile(datasetDir) ?? `(no project file):${datasetDir}`;
}
