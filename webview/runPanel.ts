/**
 * The run panel's page: live curves (loss and eval loss, learning rate, grad norm, tokens/s),
 * progress and ETA, sample generations side by side across steps, the resolved settings, the
 * backend and memory, and the actions for the run. It speaks the typed protocol of
 * src/common/runPanelProtocol.ts: `ready` first, then it folds the events the host sends with the
 * same reducer the host uses. Model output and dataset text are only ever set as text.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import 'uplot/dist/uPlot.min.css';
import './runPanel.css';
import type { HostToPanel, PanelState, PanelToHost, RunAction, RunInfo } from '../src/common/runPanelProtocol';
import { foldEvent, type RunState, type StepPoint } from '../src/common/runReducer';
import { basename, etaSeconds, formatBytes, formatDuration, progressText, shownStatus } from '../src/common/runView';
import { LineChart } from './chart';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

let info: RunInfo | undefined;
let state: RunState | undefined;
let drawScheduled = false;

const charts = {
  loss: new LineChart(byId('chart-loss'), 'Loss'),
  learningRate: new LineChart(byId('chart-lr'), 'Learning rate'),
  gradNorm: new LineChart(byId('chart-grad'), 'Grad norm'),
  speed: new LineChart(byId('chart-speed'), 'Tokens / s'),
};

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'run':
      info = message.info;
      state = message.state;
      vscode.setState({ runDir: info.runDir });
      break;
    case 'events':
      if (state) for (const e of message.events) foldEvent(state, e);
      break;
    case 'info':
      info = message.info;
      break;
  }
  scheduleDraw();
});

for (const button of document.querySelectorAll<HTMLElement>('[data-action]')) {
  button.addEventListener('click', () => vscode.postMessage({ type: 'action', action: button.dataset['action'] as RunAction }));
}

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => Object.values(charts).forEach((chart) => chart.resize()), 100);
});

/**
 * Many events in one frame draw once. Drawing waits for the next animation frame, or at most
 * DRAW_FALLBACK_MS: a webview the browser treats as hidden gets no animation frames (it would
 * stay blank until shown again), but it still gets timers.
 */
const DRAW_FALLBACK_MS = 200;
function scheduleDraw(): void {
  if (drawScheduled) return;
  drawScheduled = true;
  const drawOnce = (): void => {
    if (!drawScheduled) return;
    drawScheduled = false;
    cancelAnimationFrame(frame);
    clearTimeout(fallback);
    draw();
  };
  const frame = requestAnimationFrame(drawOnce);
  const fallback = window.setTimeout(drawOnce, DRAW_FALLBACK_MS);
}

function draw(): void {
  if (!info || !state) return;
  const frameStarted = performance.now();
  const status = shownStatus(state, info);
  byId('title').textContent = info.name;
  byId('status').textContent = status;
  byId('status').dataset['status'] = status;
  byId('subtitle').textContent = `${basename(info.dataset)} on ${basename(info.model)}`;
  drawProgress(state, status);
  drawActions(state, info, status);
  drawOutcome(state, info, status);
  const points = state.steps;
  charts.loss.update([
    { label: 'train', colorVariable: '--vscode-charts-blue', points, value: (p: StepPoint) => p.loss },
    { label: 'eval', colorVariable: '--vscode-charts-orange', points: state.evals, value: (p: { loss: number }) => p.loss },
  ]);
  charts.learningRate.update([{ label: 'learning rate', colorVariable: '--vscode-charts-green', points, value: (p: StepPoint) => p.learningRate }]);
  charts.gradNorm.update([{ label: 'grad norm', colorVariable: '--vscode-charts-purple', points, value: (p: StepPoint) => p.gradNorm }]);
  charts.speed.update([{ label: 'tokens/s', colorVariable: '--vscode-charts-yellow', points, value: (p: StepPoint) => p.tokensPerSecond }]);
  drawSamples(state);
  drawDetails(state, info);
  const all = Object.values(charts);
  const samples = state.samples.length;
  // The charts draw in microtasks after this function: report once they have.
  setTimeout(() => vscode.postMessage({
    type: 'rendered', points: points.length, samples,
    drawnPoints: all.reduce((sum, chart) => sum + chart.drawnPoints, 0),
    drawMs: Math.max(frameStarted, ...all.map((chart) => chart.drawnAt)) - frameStarted,
  }), 0);
}

function drawProgress(run: RunState, status: string): void {
  const total = run.started?.totalSteps ?? 0;
  const step = run.steps[run.steps.length - 1]?.step ?? run.started?.resumedFromStep ?? 0;
  const bar = byId('progress');
  bar.hidden = status !== 'running' && status !== 'starting';
  bar.toggleAttribute('indeterminate', total === 0);
  const eta = etaSeconds(run);
  const speed = run.steps[run.steps.length - 1]?.tokensPerSecond;
  byId('progress-text').textContent = [
    status === 'starting' ? 'loading the model and dataset…' : progressText(run),
    total > 0 ? `${Math.round((100 * step) / total)}%` : undefined,
    eta !== undefined ? `ETA ${formatDuration(eta)}` : undefined,
    speed !== undefined ? `${Math.round(speed)} tokens/s` : undefined,
  ].filter((part) => part !== undefined).join(' · ');
}

function drawActions(run: RunState, runInfo: RunInfo, status: string): void {
  const adapter = run.end?.adapter !== undefined;
  const visible: Record<RunAction, boolean> = {
    stop: runInfo.liveness === 'live', resume: runInfo.resumable && status !== 'running', try: adapter, merge: adapter, export: adapter, reveal: true,
  };
  for (const button of document.querySelectorAll<HTMLElement>('[data-action]')) button.hidden = !visible[button.dataset['action'] as RunAction];
}

function drawOutcome(run: RunState, runInfo: RunInfo, status: string): void {
  const box = byId('outcome');
  const failure = status === 'failed' ? runInfo.failure ?? run.end?.reason ?? 'The run failed.' : undefined;
  box.hidden = status === 'running' || status === 'starting';
  box.dataset['status'] = status;
  const lines = [
    failure,
    status === 'stopped' && run.end?.reason ? `Stopped: ${run.end.reason}` : undefined,
    run.end?.adapter ? `Adapter (PEFT): ${runInfo.runDir}/${run.end.adapter}` : undefined,
    run.end ? `Ended at step ${run.end.step} after ${formatDuration(run.end.elapsed_seconds)}${run.end.skippedExamples > 0 ? `; ${run.end.skippedExamples} dataset lines were skipped` : ''}.` : undefined,
  ].filter((line): line is string => line !== undefined);
  byId('outcome-text').textContent = lines.join('\n');
}

/** A table per prompt: one column per sample step, newest first, so answers read side by side. */
function drawSamples(run: RunState): void {
  const container = byId('samples');
  byId('samples-count').textContent = String(run.samples.length);
  const prompts = [...new Set(run.samples.map((s) => s.prompt))];
  container.replaceChildren(...prompts.map((prompt) => {
    const section = document.createElement('section');
    section.className = 'sample-prompt';
    const heading = document.createElement('h3');
    heading.textContent = prompt;
    const row = document.createElement('div');
    row.className = 'sample-row';
    const samples = run.samples.filter((s) => s.prompt === prompt).reverse();
    for (const sample of samples) {
      const cell = document.createElement('div');
      cell.className = 'sample';
      const label = document.createElement('div');
      label.className = 'sample-step';
      label.textContent = `step ${sample.step}`;
      const output = document.createElement('pre');
      output.textContent = sample.output;
      cell.append(label, output);
      row.append(cell);
    }
    section.append(heading, row);
    return section;
  }));
  if (prompts.length === 0) container.textContent = 'No samples yet: add "samples": {"prompts": [...]} to sft-studio.json to see the adapter answer as it trains.';
}

function drawDetails(run: RunState, runInfo: RunInfo): void {
  const started = run.started;
  const rows: Array<[string, string]> = [['run folder', runInfo.runDir], ['dataset', runInfo.dataset], ['model', runInfo.model]];
  if (started) {
    rows.push(['backend', started.backend]);
    for (const skipped of started.backendSkipped) rows.push([`skipped ${skipped.name}`, skipped.reason]);
    rows.push(['trainable parameters', `${started.trainableParameters.toLocaleString('en-US')} of ${started.totalParameters.toLocaleString('en-US')} (${((100 * started.trainableParameters) / started.totalParameters).toFixed(3)}%)`]);
    rows.push(['examples', `${started.dataset.examples} (${started.dataset.tokens.toLocaleString('en-US')} tokens, ${started.dataset.trainedTokens.toLocaleString('en-US')} trained)${started.dataset.skipped > 0 ? `, ${started.dataset.skipped} lines skipped` : ''}`]);
    if (started.evalDataset) rows.push(['eval examples', String(started.evalDataset.examples)]);
  }
  const last = run.steps[run.steps.length - 1];
  if (run.peakRss > 0) rows.push(['peak memory (RSS)', formatBytes(run.peakRss)]);
  if (last?.backendBytes) rows.push(['backend memory, last step', formatBytes(last.backendBytes)]);
  if (run.checkpoints.length > 0) rows.push(['checkpoints', run.checkpoints.map((c) => c.path).join(', ')]);
  const table = byId('details');
  table.replaceChildren(...rows.map(([name, value]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = name;
    const td = document.createElement('td');
    td.textContent = value;
    tr.append(th, td);
    return tr;
  }));
  byId('config').textContent = JSON.stringify(runInfo.config, null, 2);
}

document.addEventListener('securitypolicyviolation', (event) => {
  vscode.postMessage({ type: 'cspViolation', directive: event.effectiveDirective, blocked: event.blockedURI });
});

vscode.postMessage({ type: 'ready' });
