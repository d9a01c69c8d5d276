/**
 * The frame of SFT Studio's script-free webviews (statistics, example preview, try adapter, run comparison): a strict content
 * security policy that allows only the page's own style block, and colours from the editor's
 * theme variables, so the views follow light, dark and high-contrast themes.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A whole page around `body`; `nonce` must be fresh per render; `extraStyle` is added to the page's style block. */
export function webviewPage(title: string, body: string, nonce: string, extraStyle = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 16px; }
  h1 { font-size: 1.3em; font-weight: 600; }
  h2 { font-size: 1.05em; font-weight: 600; margin-top: 1.4em; }
  table { border-collapse: collapse; }
  td, th { padding: 2px 12px 2px 0; text-align: left; font-variant-numeric: tabular-nums; }
  td.num { text-align: right; }
  .bar { color: var(--vscode-charts-blue, var(--vscode-textLink-foreground)); letter-spacing: -1px; }
  .over { color: var(--vscode-editorWarning-foreground); }
  .muted { color: var(--vscode-descriptionForeground); }
  a { color: var(--vscode-textLink-foreground); }
  pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); white-space: pre-wrap; word-break: break-word; background: var(--vscode-textCodeBlock-background); padding: 8px; }
  .context { color: var(--vscode-descriptionForeground); }
  .trained { background: var(--vscode-diffEditor-insertedTextBackground); color: var(--vscode-foreground); font-weight: 600; }
  .cut { text-decoration: line-through; color: var(--vscode-disabledForeground); }
  .legend span { margin-right: 1.2em; padding: 0 4px; }
  .side-by-side { width: 100%; table-layout: fixed; }
  .side-by-side td { vertical-align: top; }
${extraStyle}
</style>
</head>
<body>
${body}
</body>
</html>`;
}
