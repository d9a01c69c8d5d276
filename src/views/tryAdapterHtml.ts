/** "Try Adapter": the prompt, then the base model's and the adapter's answers side by side, as text. Script-free. */
import { escapeHtml, webviewPage } from './webviewHtml';

export function tryAdapterHtml(runName: string, prompt: string, base: string, adapter: string, nonce: string): string {
  return webviewPage(`Try ${runName}`, `
<h1>Try ${escapeHtml(runName)}</h1>
<p class="muted">Prompt</p>
<pre>${escapeHtml(prompt)}</pre>
<table class="side-by-side">
  <thead><tr><th>Base model</th><th>With the adapter</th></tr></thead>
  <tbody><tr><td><pre>${escapeHtml(base)}</pre></td><td><pre>${escapeHtml(adapter)}</pre></td></tr></tbody>
</table>`, nonce);
}
