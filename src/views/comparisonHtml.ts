/**
 * The run comparison view: the runs' loss curves overlaid (an SVG drawn here, so the page needs no
 * script), the settings that differ, and trainable parameters, peak memory, speed and adapter size
 * side by side. Every run-provided string is escaped.
 */
import { downsample } from '../common/runReducer';
import type { ComparedRun, RunComparison } from '../common/runView';
import { escapeHtml, webviewPage } from './webviewHtml';

const WIDTH = 640;
const HEIGHT = 240;
const PAD = 36;
const COLORS = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];

export function comparisonHtml(runs: readonly ComparedRun[], comparison: RunComparison, nonce: string): string {
  const header = `<tr><th></th>${runs.map((run, i) => `<th><span class="swatch c${i % COLORS.length}">■</span> ${escapeHtml(run.name)}</th>`).join('')}</tr>`;
  const rows = (list: ReadonlyArray<{ values: string[] }>, name: (row: never) => string): string =>
    list.map((row) => `<tr><td>${escapeHtml(name(row as never))}</td>${row.values.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('');
  const differences = comparison.differences.length > 0
    ? `<table>${header}${rows(comparison.differences, (row: { setting: string }) => row.setting)}</table>`
    : '<p class="muted">The runs used the same settings.</p>';
  return webviewPage('Compare runs', `
<h1>Compare ${runs.length} runs</h1>
<h2>Loss</h2>
${lossChart(runs)}
<h2>Settings that differ</h2>
${differences}
<h2>Measures</h2>
<table>${header}${rows(comparison.measures, (row: { measure: string }) => row.measure)}</table>`, nonce, comparisonStyle());
}

function lossChart(runs: readonly ComparedRun[]): string {
  const curves = runs.map((run) => downsample(run.state.steps, (p) => p.loss, 600));
  const all = curves.flat();
  if (all.length === 0) return '<p class="muted">No logged steps yet.</p>';
  const maxStep = Math.max(1, ...all.map((p) => p.step));
  const losses = all.map((p) => p.loss).filter(Number.isFinite);
  const low = Math.min(...losses);
  const high = Math.max(...losses);
  const x = (step: number): number => PAD + ((WIDTH - 2 * PAD) * step) / maxStep;
  const y = (loss: number): number => HEIGHT - PAD - ((HEIGHT - 2 * PAD) * (loss - low)) / Math.max(1e-9, high - low);
  const lines = curves.map((points, i) => `<polyline class="line c${i % COLORS.length}" points="${points.filter((p) => Number.isFinite(p.loss)).map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ')}"/>`).join('');
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="loss curves">
<line class="axis" x1="${PAD}" y1="${HEIGHT - PAD}" x2="${WIDTH - PAD}" y2="${HEIGHT - PAD}"/>
<line class="axis" x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${HEIGHT - PAD}"/>
<text x="${PAD}" y="${PAD - 8}">${high.toFixed(3)}</text><text x="${PAD}" y="${HEIGHT - 8}">${low.toFixed(3)} · step 0</text>
<text x="${WIDTH - PAD}" y="${HEIGHT - 8}" text-anchor="end">step ${maxStep}</text>
${lines}</svg>`;
}

function comparisonStyle(): string {
  return `
  .chart { width: 100%; max-width: ${WIDTH}px; height: auto; }
  .chart text { fill: var(--vscode-descriptionForeground); font-size: 11px; }
  .axis { stroke: var(--vscode-editorWidget-border, var(--vscode-descriptionForeground)); }
  .line { fill: none; stroke-width: 1.5; }
  ${COLORS.map((c, i) => `.line.c${i} { stroke: var(--vscode-charts-${c}); } .swatch.c${i} { color: var(--vscode-charts-${c}); }`).join('\n  ')}`;
}
