/**
 * The run panel's frame time in Chromium (the engine VS Code's webviews run in): the panel's real
 * page (dist/webview/runPanel.js under its content security policy) is given a run of N logged
 * steps, then receives one new step at a time, as during training; each update's frame time runs
 * from the update to the last of its four charts drawn. Medians over RUNS fresh pages, for
 * 100,000 steps next to a 1,000-step reference measured in the same session.
 *
 *   npx tsx bench/runPanel.bench.ts [RUNS]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { ROOT } from '../test/editor/codeServer';
import { runPanelHtml } from '../src/views/runPanelHtml';
import { median } from './median';

const UPDATES = 200;


function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Runs in the page: a run of `count` steps, then UPDATES single-step updates; returns the frame times. */
const PAGE_SCRIPT = `async ({ count, updates }) => {
  const rendered = [];
  let waiting;
  window.__onMessage = (message) => {
    if (message.type === 'rendered') { rendered.push(message); if (waiting) { const w = waiting; waiting = undefined; w(message); } }
  };
  const next = () => new Promise((resolve) => { waiting = resolve; });
  let loss = 8;
  const point = (i) => {
    loss = Math.max(0.05, loss * 0.99995 + (Math.random() - 0.5) * 0.05);
    return { step: i, epoch: i / 1000, loss, learningRate: 2e-4 * (1 - i / (count + updates + 1)), gradNorm: 1 + Math.random(), tokensPerSecond: 2000 + 200 * Math.random(), elapsedSeconds: i * 0.1 };
  };
  const steps = [];
  for (let i = 1; i <= count; i++) steps.push(point(i));
  const started = { type: 'started', protocol: 1, time: '2026-11-29T00:00:00Z', backend: 'wasm', backendSkipped: [], trainableParameters: 1000, totalParameters: 100000, dataset: { examples: 10, skipped: 0, trainedTokens: 100, tokens: 200 }, totalSteps: count + updates + 1, resumedFromStep: 0 };
  const state = { status: 'running', started, steps, evals: [], samples: [{ step: count, prompt: 'Hello!', output: "G'day" }], checkpoints: [], peakRss: 1e8 };
  const info = { runDir: '/runs/bench', name: 'bench', dataset: 'train.sft.jsonl', model: 'model', config: {}, liveness: 'live', resumable: false };
  const first = next();
  window.dispatchEvent(new MessageEvent('message', { data: { type: 'run', info, state } }));
  const initial = (await first).drawMs;
  const frames = [];
  for (let i = 1; i <= updates; i++) {
    const p = point(count + i);
    const step = { type: 'step', step: p.step, epoch: p.epoch, loss: p.loss, learning_rate: p.learningRate, grad_norm: p.gradNorm, tokens_per_second: p.tokensPerSecond, trained_tokens: i, memory: { rss: 1e8, backendBytes: 0 }, elapsed_seconds: p.elapsedSeconds };
    const done = next();
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'events', events: [step] } }));
    const message = await done;
    if (message.points !== count + i) throw new Error('the panel drew ' + message.points + ' points, expected ' + (count + i));
    frames.push(message.drawMs);
  }
  return { initial, frames, drawnPoints: rendered[rendered.length - 1].drawnPoints };
}`;

async function measure(page: Page, count: number): Promise<{ initial: number; frames: number[]; drawnPoints: number }> {
  return page.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify({ count, updates: UPDATES })})`) as Promise<{ initial: number; frames: number[]; drawnPoints: number }>;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const script = path.join(ROOT, 'dist', 'webview', 'runPanel.js');
  if (!fs.existsSync(script)) throw new Error('dist/webview/runPanel.js is missing: run npm run build first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-panel-bench-'));
  const page = path.join(dir, 'panel.html');
  fs.writeFileSync(page, runPanelHtml('bench', {
    cspSource: 'file:', nonce: 'bench', scriptUri: pathToFileURL(script).href, styleUri: pathToFileURL(path.join(ROOT, 'dist', 'webview', 'runPanel.css')).href,
  }));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'] });
  const results: Record<number, Array<{ initial: number; median: number; p95: number; drawnPoints: number }>> = { 1000: [], 100_000: [] };
  try {
    for (let run = 0; run < runs; run++) {
      for (const count of [1000, 100_000]) {
        const tab = await browser.newPage({ viewport: { width: 900, height: 1000 } });
        // A string, not a function: tsx's helpers would not exist in the page.
        await tab.addInitScript({ content: 'window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__onMessage && window.__onMessage(m), setState: () => {} });' });
        const violations: string[] = [];
        tab.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
        await tab.goto(pathToFileURL(page).href);
        const measured = await measure(tab, count);
        if (violations.length > 0) throw new Error(`the panel broke its content security policy: ${violations[0]}`);
        results[count]!.push({ initial: measured.initial, median: median(measured.frames), p95: percentile(measured.frames, 0.95), drawnPoints: measured.drawnPoints });
        console.log(`run ${run + 1}, ${count} steps: first draw ${measured.initial.toFixed(1)} ms; per update median ${median(measured.frames).toFixed(2)} ms, p95 ${percentile(measured.frames, 0.95).toFixed(2)} ms; ${measured.drawnPoints} points drawn`);
        await tab.close();
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const count of [1000, 100_000]) {
    const rows = results[count]!;
    console.log(`${count.toLocaleString('en-US')} steps (median of ${runs} pages): first draw ${median(rows.map((r) => r.initial)).toFixed(1)} ms, frame time per update median ${median(rows.map((r) => r.median)).toFixed(2)} ms, p95 ${median(rows.map((r) => r.p95)).toFixed(2)} ms`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
