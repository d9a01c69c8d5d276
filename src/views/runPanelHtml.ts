/**
 * The run panel's page frame: a strict content security policy (scripts only with this render's
 * nonce, styles and fonts only from the extension's bundle), and the static layout the script
 * (dist/webview/runPanel.js) fills in. No run data is put into the HTML: it arrives as messages
 * and is set as text.
 */
import { escapeHtml } from './webviewHtml';

export interface PanelResources {
  /** The webview's `cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function runPanelHtml(title: string, r: PanelResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${r.nonce}'; style-src ${r.cspSource}; font-src ${r.cspSource}; img-src ${r.cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${r.styleUri}">
</head>
<body>
<header>
  <h1 id="title">${escapeHtml(title)}</h1>
  <span id="status">loading</span>
  <span id="subtitle"></span>
</header>
<vscode-progress-bar id="progress" indeterminate></vscode-progress-bar>
<div id="progress-text"></div>
<div class="actions">
  <vscode-button data-action="stop" hidden>Stop Training</vscode-button>
  <vscode-button data-action="resume" hidden>Resume Training</vscode-button>
  <vscode-button data-action="try" hidden>Try Adapter…</vscode-button>
  <vscode-button data-action="merge" secondary hidden>Merge Adapter</vscode-button>
  <vscode-button data-action="export" secondary hidden>Export GGUF</vscode-button>
  <vscode-button data-action="reveal" secondary>Reveal in Explorer</vscode-button>
</div>
<div id="outcome" hidden><span id="outcome-text"></span></div>
<div class="charts">
  <div class="chart" id="chart-loss"></div>
  <div class="chart" id="chart-lr"></div>
  <div class="chart" id="chart-grad"></div>
  <div class="chart" id="chart-speed"></div>
</div>
<h2>Samples <vscode-badge id="samples-count">0</vscode-badge></h2>
<div id="samples"></div>
<h2>Run</h2>
<table><tbody id="details"></tbody></table>
<vscode-collapsible title="Resolved settings (config.json)"><pre id="config"></pre></vscode-collapsible>
<script nonce="${r.nonce}" src="${r.scriptUri}"></script>
</body>
</html>`;
}
