/**
 * The editor's model of one `.sft.jsonl` document: it re-checks only the lines an edit touches
 * and keeps the file-level findings (duplicates, mixed formats, double BOS, eos) current from
 * running counts instead of a full pass.
 *
 * Architecture invariant: line results depend only on the line's text and the check context, so
 * an edit re-checks exactly the lines it replaced; everything cross-line is derived from the
 * per-line `hash` and `format` kept here.
 */
import { checkLine, type CheckContext, type LineResult } from './checkLine';
import { duplicateFinding, FileSummary, fileLevelFindings } from './fileSummary';
import { resolveFinding, type Finding, type LineFinding, type RuleSetting } from './rules';
import { StatisticsCollector, type DatasetStatistics } from './stats';

interface LineState {
  text: string;
  /** Undefined while the line waits in the pending queue. */
  result: LineResult | undefined;
  /** Position in the document; kept current when lines are inserted or removed. */
  index: number;
  /** Set when an edit replaced the line, so a pending check skips it. */
  removed?: boolean;
}


/** A queued line handed out to be checked elsewhere: its text, and an identity to return the result with. */
export interface PendingLine {
  readonly text: string;
}

export interface DocumentSetup {
  context: CheckContext;
  overrides?: Readonly<Record<string, RuleSetting>>;
  /** File-level notes about the setup (no chat template, skipped checks). */
  notes?: readonly LineFinding[];
}

export class DatasetDocument {
  private lines: LineState[] = [];
  private readonly summary = new FileSummary();
  /** Lines by example hash, for duplicates; the lowest index is the first occurrence. */
  private readonly byHash = new Map<number, Set<LineState>>();
  private readonly overrides: Readonly<Record<string, RuleSetting>>;
  /** Lines added with `defer`, checked in order by `checkPending`. */
  private pending: LineState[] = [];
  /** Lines handed out by `handOutPending` whose results have not come back. */
  private inFlight = 0;

  constructor(private readonly setup: DocumentSetup, text = '') {
    this.overrides = setup.overrides ?? {};
    this.replaceLines(0, 0, splitDocumentLines(text));
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** The current text of a line (without its line break). */
  lineText(line: number): string | undefined {
    return this.lines[line]?.text;
  }

  /**
   * Applies one editor change: the text between (startLine, startColumn) and (endLine, endColumn)
   * is replaced by `text`. Changes of one event apply in sequence, as editors report them.
   */
  applyChange(start: { line: number; character: number }, end: { line: number; character: number }, text: string): void {
    const before = (this.lines[start.line]?.text ?? '').slice(0, start.character);
    const after = (this.lines[end.line]?.text ?? '').slice(end.character);
    this.replaceLines(start.line, Math.min(end.line + 1, this.lines.length), splitDocumentLines(before + text + after));
  }

  /** Lines still waiting to be checked, here or elsewhere (see {@link handOutPending}). */
  get pendingLines(): number {
    return this.pending.length + this.inFlight;
  }

  /**
   * Hands every queued line out to be checked elsewhere (worker threads), in order; each result
   * comes back through {@link acceptResult}. A line an edit replaces meanwhile is skipped then.
   */
  handOutPending(): PendingLine[] {
    const lines = this.pending.filter((state) => !state.removed);
    this.pending = [];
    this.inFlight += lines.length;
    return lines;
  }

  /** Lines queued here (handed-out lines aside), which {@link checkPending} checks. */
  get queuedLines(): number {
    return this.pending.length;
  }

  /** Handed-out lines whose results will not come (a worker failed): they are queued here again. */
  returnUnchecked(lines: readonly PendingLine[]): void {
    this.inFlight -= lines.length;
    const back = (lines as readonly LineState[]).filter((state) => !state.removed && !state.result);
    this.pending = [...back, ...this.pending];
  }

  /** The result of a handed-out line, checked against this document's context. */
  acceptResult(line: PendingLine, result: LineResult): void {
    const state = line as LineState;
    this.inFlight--;
    if (state.removed || state.result) return;
    state.result = result;
    this.remember(state, result);
  }

  /**
   * Replaces the whole text. With `defer`, lines are only queued, so that a large document is
   * checked in slices by {@link checkPending} without blocking the thread that owns it.
   */
  setText(text: string, options: { defer?: boolean } = {}): void {
    this.replaceLines(0, this.lines.length, splitDocumentLines(text), options);
  }

  /**
   * Replaces lines [startLine, endLine) with `newLines`, re-checking only those. An editor change
   * of one range maps to one call: from the first to the last line it touched.
   */
  replaceLines(startLine: number, endLine: number, newLines: readonly string[], options: { defer?: boolean } = {}): void {
    const removed = this.lines.slice(startLine, endLine);
    for (const state of removed) {
      state.removed = true;
      if (state.result) this.forget(state, state.result);
    }
    const added: LineState[] = newLines.map((text) => ({ text, result: options.defer ? undefined : checkLine(text, this.setup.context), index: 0 }));
    this.lines.splice(startLine, endLine - startLine, ...added);
    // Lines after the edit move only when the line count changed.
    const renumberTo = removed.length === added.length ? startLine + added.length : this.lines.length;
    for (let i = startLine; i < renumberTo; i++) this.lines[i]!.index = i;
    for (const state of added) {
      if (state.result) this.remember(state, state.result);
      else this.pending.push(state);
    }
    if (removed.length > 0 && this.pending.length > 0) this.pending = this.pending.filter((state) => !state.removed);
  }

  /** Checks queued lines until `budgetMs` has passed; returns how many are still queued. */
  checkPending(budgetMs: number): number {
    const deadline = performance.now() + budgetMs;
    let done = 0;
    while (done < this.pending.length) {
      const state = this.pending[done++]!;
      if (state.removed) continue;
      state.result = checkLine(state.text, this.setup.context);
      this.remember(state, state.result);
      if ((done & 15) === 0 && performance.now() > deadline) break;
    }
    this.pending = this.pending.slice(done);
    return this.pending.length;
  }

  /** Findings on one line (0-based), duplicates included. */
  lineFindings(line: number): Finding[] {
    const state = this.lines[line];
    if (!state) return [];
    const findings: Finding[] = [];
    for (const finding of this.ownFindings(state)) {
      const resolved = resolveFinding(finding, line, this.overrides);
      if (resolved) findings.push(resolved);
    }
    return findings;
  }

  /** Findings that concern the whole file, reported at line 0. */
  fileFindings(): Finding[] {
    return fileLevelFindings(this.summary, this.setup.context, this.setup.notes ?? [])
      // Lines still queued are not counted yet: the file is empty only once they are.
      .filter((f) => f.code !== 'file/empty' || this.pendingLines === 0)
      .map((f) => resolveFinding(f, 0, this.overrides, 'file'))
      .filter((f): f is Finding => f !== undefined);
  }

  /** Every finding in the document, by line, then the file-level ones. */
  allFindings(): Finding[] {
    const all: Finding[] = [];
    for (let i = 0; i < this.lines.length; i++) {
      const state = this.lines[i]!;
      if (state.result && (state.result.findings.length > 0 || this.isDuplicate(state))) all.push(...this.lineFindings(i));
    }
    return [...all, ...this.fileFindings()];
  }

  /** Statistics of the checked lines (counts, lengths, the longest examples). */
  statistics(): DatasetStatistics {
    const collector = new StatisticsCollector(this.setup.context.maxLength);
    this.lines.forEach((state, line) => {
      if (state.result) collector.add(state.result, line);
    });
    return collector.summary();
  }

  /** The line's result (formats, token counts), for hovers and statistics; undefined while pending. */
  lineResult(line: number): LineResult | undefined {
    return this.lines[line]?.result;
  }

  private ownFindings(state: LineState): LineFinding[] {
    // The empty line after a final newline is the file's end, not a blank example.
    if (!state.result || (state.text === '' && state.index === this.lines.length - 1 && state.index > 0)) return [];
    const first = this.firstOccurrence(state);
    return first === undefined ? state.result.findings : [...state.result.findings, duplicateFinding(state.text, first)];
  }

  private isDuplicate(state: LineState): boolean {
    return this.firstOccurrence(state) !== undefined;
  }

  /** The line number of the first copy of this line's example, when this line is a later copy. */
  private firstOccurrence(state: LineState): number | undefined {
    const hash = state.result?.hash;
    if (hash === undefined) return undefined;
    const group = this.byHash.get(hash);
    if (!group || group.size < 2) return undefined;
    let first = state.index;
    for (const other of group) first = Math.min(first, other.index);
    return first < state.index ? first : undefined;
  }

  private remember(state: LineState, result: LineResult): void {
    this.summary.add(result, state);
    const hash = result.hash;
    if (hash === undefined) return;
    const group = this.byHash.get(hash);
    if (group) group.add(state);
    else this.byHash.set(hash, new Set([state]));
  }

  private forget(state: LineState, result: LineResult): void {
    this.summary.remove(result, state);
    const hash = result.hash;
    if (hash === undefined) return;
    const group = this.byHash.get(hash);
    group?.delete(state);
    if (group?.size === 0) this.byHash.delete(hash);
  }
}

/** Splits document text into lines as the editor numbers them (`\n` or `\r\n`). */
function splitDocumentLines(text: string): string[] {
  return text.split(/\r?\n/);
}
