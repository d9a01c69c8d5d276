/**
 * The extension host's side of the document service: starts its worker thread
 * (`dist/documentWorker.js`), sends it documents and edits, and turns requests into promises.
 * A worker that dies is started again, and the open documents are sent to it again.
 */
import * as path from 'node:path';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { DOCUMENT_PROTOCOL_VERSION, type HostMessage, type ServiceMessage, type ServiceRequest, type ServiceResults } from '../dataset/service/documentProtocol';

type DiagnosticsMessage = Extract<ServiceMessage, { type: 'document/diagnostics' }>;

export class DocumentClient implements vscode.Disposable {
  private worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private disposed = false;
  private readonly diagnosticsEmitter = new vscode.EventEmitter<DiagnosticsMessage>();
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  /** The findings of a document, whenever its check state changes. */
  readonly onDiagnostics = this.diagnosticsEmitter.event;
  /** The worker was started again after it died: documents must be opened again. */
  readonly onRestart = this.restartEmitter.event;

  constructor(private readonly workerFile: string, private readonly log: vscode.LogOutputChannel) {
    this.worker = this.start();
  }

  static forExtension(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): DocumentClient {
    return new DocumentClient(path.join(extensionUri.fsPath, 'dist', 'documentWorker.js'), log);
  }

  post(message: HostMessage): void {
    this.worker.postMessage(message);
  }

  request<K extends ServiceRequest['kind']>(request: Extract<ServiceRequest, { kind: K }>): Promise<ServiceResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (result: unknown) => void);
      this.post({ type: 'request', id, request });
    });
  }

  private start(): Worker {
    // The service reads the same environment (HF_HOME, HF_HUB_CACHE) as the host, live.
    const worker = new Worker(this.workerFile, { env: SHARE_ENV });
    worker.on('message', (message: ServiceMessage) => this.receive(message));
    worker.on('error', (error) => this.log.error(`The document service failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      // Requests in flight get no answer from a dead worker.
      for (const resolve of this.waiting.values()) resolve(undefined);
      this.waiting.clear();
      if (this.disposed) return;
      this.log.error(`The document service stopped (exit code ${code}); starting it again`);
      this.worker = this.start();
      this.restartEmitter.fire();
    });
    worker.postMessage({ type: 'service/hello', protocol: DOCUMENT_PROTOCOL_VERSION } satisfies HostMessage);
    return worker;
  }

  private receive(message: ServiceMessage): void {
    switch (message.type) {
      case 'document/diagnostics':
        this.diagnosticsEmitter.fire(message);
        return;
      case 'response': {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        resolve?.(message.result);
        return;
      }
      case 'service/log':
        if (message.level === 'error') this.log.error(message.message);
        else this.log.info(message.message);
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
    void this.worker.terminate();
    this.diagnosticsEmitter.dispose();
    this.restartEmitter.dispose();
  }
}
