/**
 * The protocol between the editor's extension host and the document service, which checks open
 * datasets on a worker thread so that loading a tokenizer or checking 100,000 lines never blocks
 * the editor. Messages go both ways over the worker's port; every request carries an id that its
 * response repeats. Plain data only (structured clone), no functions, no class instances.
 */
import type { ExamplePreview } from '../hoverText';
import type { Finding } from '../rules';
import type { DatasetStatistics } from '../stats';

/** Bumped when a message changes shape; the service checks it in `service/hello`. */
export const DOCUMENT_PROTOCOL_VERSION = 1;

/** What a dataset is checked with, as the status bar shows it; or why its project setup failed. */
export type SetupSummary =
  | { ok: true; model?: string; template?: string; projectFile?: string; hasTokenizer: boolean }
  | { ok: false; error: string };

/** A change as the editor reports it: the range it replaced, in the text before the change. */
export interface DocumentChange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  text: string;
}

/** Host → service. `doc` is the document's URI as a string. */
export type HostMessage =
  | { type: 'service/hello'; protocol: number }
  /** A document to check: read from `file` when the editor's copy equals the file, else `text`. */
  | { type: 'document/open'; doc: string; datasetDir: string; file?: string; text?: string }
  | { type: 'document/change'; doc: string; changes: DocumentChange[] }
  | { type: 'document/close'; doc: string }
  /** Forget every setup (sft-studio.json saved, "Re-check Dataset") and check every document again. */
  | { type: 'setups/reload' }
  | { type: 'request'; id: number; request: ServiceRequest };

export type ServiceRequest =
  /** The findings of one line, with their fixes, for quick fixes. */
  | { kind: 'lineFindings'; doc: string; line: number }
  /** The formatted example of a line's text, as Markdown (hover) and as segments (preview view). */
  | { kind: 'preview'; doc: string; text: string }
  /** The document's statistics, once every line is checked. */
  | { kind: 'statistics'; doc: string };

/** The result of each request kind. */
export interface ServiceResults {
  lineFindings: Finding[];
  preview: { markdown: string; preview: ExamplePreview; hasTokenizer: boolean } | { error: string } | undefined;
  statistics: DatasetStatistics | undefined;
}

/** Service → host. */
export type ServiceMessage =
  /** The findings of a whole document, sent once its first check ends and after each change. */
  | { type: 'document/diagnostics'; doc: string; findings: Finding[]; setup: SetupSummary; pendingLines: number }
  | { type: 'response'; id: number; result: unknown }
  /** Something went wrong inside the service; the host logs it. */
  | { type: 'service/log'; level: 'info' | 'error'; message: string };
