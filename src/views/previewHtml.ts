/** The "Preview Formatted Example" page: the example under the cursor as the template renders it, with what trains highlighted. */
import type { ExamplePreview } from '../dataset/hoverText';
import { escapeHtml, webviewPage } from './webviewHtml';

export function previewHtml(where: string, preview: ExamplePreview | undefined, hasTokenizer: boolean, nonce: string): string {
  const title = `Formatted example: ${where}`;
  if (!preview) return webviewPage(title, `<h1>${escapeHtml(title)}</h1><p class="muted">Put the cursor on an example line of a .sft.jsonl file.</p>`, nonce);
  const template = preview.templateName ? `template <code>${escapeHtml(preview.templateName)}</code>` : 'no chat template';
  if (!preview.ok) {
    const why = preview.findings.map((f) => `<li>${escapeHtml(f.message)}</li>`).join('');
    const text = preview.text ? `<pre>${escapeHtml(preview.text)}</pre>` : '';
    return webviewPage(title, `<h1>${escapeHtml(title)}</h1><p>${template}</p>${text}<p>This example cannot train:</p><ul>${why}</ul>`, nonce);
  }
  const counts = hasTokenizer
    ? `${preview.tokens} tokens, <strong>${preview.trainedTokens} trained</strong> · max_length ${preview.maxLength}${preview.trainedCut > 0 ? ` · <span class="over">truncation cuts ${preview.trainedCut} trained tokens</span>` : ''}`
    : 'no tokenizer: set "model" in sft-studio.json to count tokens';
  const body = preview.segments.map((segment) => {
    const tokens = segment.tokens !== undefined ? ` title="${segment.tokens} token${segment.tokens === 1 ? '' : 's'}"` : '';
    return `<span class="${segment.kind}"${tokens}>${escapeHtml(segment.text)}</span>`;
  }).join('');
  const legend = '<p class="legend"><span class="context">context (not trained)</span><span class="trained">trained</span><span class="cut">cut by max_length</span></p>';
  return webviewPage(title, `<h1>${escapeHtml(title)}</h1><p>${template} · ${counts}</p>${legend}<pre>${body}</pre>`, nonce);
}
