/**
 * The document service that checks the editor's datasets on a worker thread, driven here
 * directly: documents from files and from text, edits, requests answered between slices of a
 * first check, and setups reloaded when the project file changes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { HostMessage, ServiceMessage } from '../../src/dataset/service/documentProtocol';
import { DocumentService } from '../../src/dataset/service/documentService';
import { chat } from '../helpers';

const GOOD = JSON.stringify(chat(['user', 'Hi'], ['assistant', 'Hello']));
const TYPO = GOOD.replace('"user"', '"usr"');

/** A service whose slices run when `drain()` is called, and the messages it sent. */
function harness(): { service: DocumentService; sent: ServiceMessage[]; drain: () => void; request: (id: number, request: Extract<HostMessage, { type: 'request' }>['request']) => unknown } {
  const sent: ServiceMessage[] = [];
  const queue: Array<() => void> = [];
  const service = new DocumentService((m) => sent.push(m), (run) => queue.push(run));
  const drain = (): void => {
    while (queue.length > 0) queue.shift()!();
  };
  const request = (id: number, req: Extract<HostMessage, { type: 'request' }>['request']): unknown => {
    service.handle({ type: 'request', id, request: req });
    drain();
    return sent.find((m): m is Extract<ServiceMessage, { type: 'response' }> => m.type === 'response' && m.id === id)?.result;
  };
  return { service, sent, drain, request };
}

function lastDiagnostics(sent: ServiceMessage[], doc: string): Extract<ServiceMessage, { type: 'document/diagnostics' }> | undefined {
  return sent.filter((m): m is Extract<ServiceMessage, { type: 'document/diagnostics' }> => m.type === 'document/diagnostics' && m.doc === doc).pop();
}

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-service-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('a saved file is read by the service; edits re-check and publish; line findings carry fixes', () => {
  const dir = folder({ 'data.sft.jsonl': `\uFEFF${GOOD}\n${TYPO}\n` });
  const { service, sent, drain, request } = harness();
  service.handle({ type: 'document/open', doc: 'd1', datasetDir: dir, file: path.join(dir, 'data.sft.jsonl') });
  assert.equal(lastDiagnostics(sent, 'd1'), undefined, 'nothing is published before the first check ends');
  drain();
  const first = lastDiagnostics(sent, 'd1')!;
  assert.equal(first.pendingLines, 0);
  assert.deepEqual(first.findings.map((f) => [f.line, f.code]), [[1, 'message/role-unknown'], [0, 'checks/skipped']]);
  assert.equal(first.findings[0]!.start, TYPO.indexOf('"usr"'), 'the byte order mark is not part of line 1');
  assert.deepEqual(first.setup, { ok: true, hasTokenizer: false });
  const fixes = (request(1, { kind: 'lineFindings', doc: 'd1', line: 1 }) as Array<{ fixes?: unknown[] }>)[0]!.fixes;
  assert.equal(fixes?.length, 1);
  const at = TYPO.indexOf('"usr"');
  service.handle({ type: 'document/change', doc: 'd1', changes: [{ startLine: 1, startCharacter: at, endLine: 1, endCharacter: at + 5, text: '"user"' }] });
  assert.deepEqual(lastDiagnostics(sent, 'd1')!.findings.map((f) => f.code), ['duplicate/example', 'checks/skipped']);
});

test('requests are answered between the slices of a long first check', () => {
  const dir = folder({});
  const sent: ServiceMessage[] = [];
  const queue: Array<() => void> = [];
  const slow = new DocumentService((m) => sent.push(m), (run) => queue.push(run), 1);
  slow.handle({ type: 'document/open', doc: 'big', datasetDir: dir, text: Array.from({ length: 30_000 }, (_, i) => GOOD.replace('Hello', `Hello ${i}`)).join('\n') });
  queue.shift()!(); // one slice
  slow.handle({ type: 'request', id: 7, request: { kind: 'preview', doc: 'big', text: GOOD } });
  assert.ok(sent.some((m) => m.type === 'response' && m.id === 7), 'the preview is answered before the check ends');
  slow.handle({ type: 'request', id: 8, request: { kind: 'statistics', doc: 'big' } });
  assert.ok(!sent.some((m) => m.type === 'response' && m.id === 8), 'statistics wait for every line');
  while (queue.length > 0) queue.shift()!();
  const stats = sent.find((m): m is Extract<ServiceMessage, { type: 'response' }> => m.type === 'response' && m.id === 8)!.result as { examples: number };
  assert.equal(stats.examples, 30_000);
});

test('a broken project file is reported, edits still apply, and fixing it re-checks the current text', () => {
  const dir = folder({ 'sft-studio.json': '{"max_length": "long"}', 'data.sft.jsonl': `${GOOD}\n` });
  const { service, sent, drain } = harness();
  service.handle({ type: 'document/open', doc: 'd', datasetDir: dir, file: path.join(dir, 'data.sft.jsonl') });
  drain();
  const broken = lastDiagnostics(sent, 'd')!;
  assert.ok(!broken.setup.ok && /"max_length" must be a positive whole number/.test(broken.setup.error));
  service.handle({ type: 'document/change', doc: 'd', changes: [{ startLine: 1, startCharacter: 0, endLine: 1, endCharacter: 0, text: TYPO }] });
  fs.writeFileSync(path.join(dir, 'sft-studio.json'), '{"template": "mistral"}');
  service.handle({ type: 'setups/reload' });
  drain();
  const fixed = lastDiagnostics(sent, 'd')!;
  assert.deepEqual(fixed.setup, { ok: true, hasTokenizer: false, template: 'mistral', projectFile: path.join(dir, 'sft-studio.json') });
  assert.ok(fixed.findings.some((f) => f.line === 1 && f.code === 'message/role-unknown'), 'the edit made while broken is checked');
});

test('a large document is first checked on worker threads, with an edit made meanwhile, as a check from scratch', async () => {
  const dir = folder({ 'sft-studio.json': '{"template": "mistral"}' });
  const lines = Array.from({ length: 9000 }, (_, i) => (i % 1000 === 3 ? TYPO : JSON.stringify(chat(['user', `Question ${i} ${'x'.repeat(200)}`], ['assistant', `Answer ${i}`]))));
  const text = lines.join('\n');
  assert.ok(text.length >= 2_000_000, 'large enough for the worker threads');
  const sent: ServiceMessage[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => { settle = resolve; });
  const service = new DocumentService((m) => {
    sent.push(m);
    if (m.type === 'document/diagnostics' && m.pendingLines === 0) settle();
  }, setImmediate, 2);
  service.handle({ type: 'document/open', doc: 'big', datasetDir: dir, text });
  const at = lines[5000]!.indexOf('"user"');
  service.handle({ type: 'document/change', doc: 'big', changes: [{ startLine: 5000, startCharacter: at, endLine: 5000, endCharacter: at + 6, text: '"usr"' }] });
  await settled;
  const parallel = lastDiagnostics(sent, 'big')!.findings;
  const fresh: ServiceMessage[] = [];
  const reference = new DocumentService((m) => fresh.push(m), (run) => run(), 1);
  const edited = [...lines];
  edited[5000] = lines[5000]!.replace('"user"', '"usr"');
  reference.handle({ type: 'document/open', doc: 'big', datasetDir: dir, text: edited.join('\n') });
  assert.deepEqual(parallel, lastDiagnostics(fresh, 'big')!.findings);
  assert.deepEqual(parallel.filter((f) => f.code === 'message/role-unknown').map((f) => f.line), [3, 1003, 2003, 3003, 4003, 5000, 5003, 6003, 7003, 8003]);
});
