/** The statistics view's page: counts by format, tokens, a length histogram, the share over max_length, and the longest lines as links. */
import type { DatasetStatistics } from '../dataset/stats';
import { escapeHtml, webviewPage } from './webviewHtml';

/** `lineLink(line)` gives the href that reveals a 0-based line of the dataset. */
export function statisticsHtml(fileName: string, stats: DatasetStatistics, lineLink: (line: number) => string, nonce: string): string {
  const formats = Object.entries(stats.formats).map(([format, n]) => `<tr><td>${escapeHtml(format)}</td><td class="num">${n}</td></tr>`).join('');
  const parts = [
    `<h1>Dataset statistics: ${escapeHtml(fileName)}</h1>`,
    `<p>${stats.examples} examples</p>`,
    formats ? `<h2>Formats</h2><table>${formats}</table>` : '<p class="muted">No readable example yet.</p>',
  ];
  if (stats.tokenizedExamples === 0) {
    parts.push('<h2>Tokens</h2><p class="muted">Not counted: set "model" in sft-studio.json (a folder with tokenizer.json, or a cached hub id) to count tokens.</p>');
  } else {
    const trainedShare = stats.trainedTokens / Math.max(1, stats.tokens);
    parts.push(
      '<h2>Tokens</h2><table>',
      `<tr><td>tokenized examples</td><td class="num">${stats.tokenizedExamples} of ${stats.examples}</td></tr>`,
      `<tr><td>tokens</td><td class="num">${stats.tokens}</td><td class="muted">mean ${stats.meanTokens.toFixed(1)}, max ${stats.maxTokens}</td></tr>`,
      `<tr><td>trained tokens</td><td class="num">${stats.trainedTokens}</td><td class="muted">${percent(trainedShare)} of all tokens</td></tr>`,
      `<tr class="${stats.overMaxLength > 0 ? 'over' : ''}"><td>over max_length ${stats.maxLength}</td><td class="num">${stats.overMaxLength}</td><td>${percent(stats.overMaxLengthShare)}</td></tr>`,
      '</table>',
      '<h2>Length histogram (tokens)</h2><table>',
      ...histogramRows(stats),
      '</table>',
    );
    if (stats.longest.length > 0) {
      parts.push('<h2>Longest examples</h2><table><tr><th>line</th><th>tokens</th><th>trained</th></tr>');
      for (const example of stats.longest) {
        const over = example.tokens > stats.maxLength ? ' class="over"' : '';
        parts.push(`<tr${over}><td><a href="${escapeHtml(lineLink(example.line))}">line ${example.line + 1}</a></td><td class="num">${example.tokens}</td><td class="num">${example.trainedTokens}</td></tr>`);
      }
      parts.push('</table>');
    }
  }
  return webviewPage(`Statistics: ${fileName}`, parts.join('\n'), nonce);
}

function histogramRows(stats: DatasetStatistics): string[] {
  const widest = Math.max(1, ...stats.histogram.map((b) => b.examples));
  let lower = 1;
  return stats.histogram.map((bucket) => {
    const label = bucket.upTo === null ? `over ${lower - 1}` : `${lower}–${bucket.upTo}`;
    if (bucket.upTo !== null) lower = bucket.upTo + 1;
    // Bars of block characters: the content security policy allows no inline style attributes.
    const bar = '█'.repeat(Math.round((bucket.examples / widest) * 40));
    return `<tr${bucket.upTo === null ? ' class="over"' : ''}><td>${label}</td><td class="num">${bucket.examples}</td><td><span class="bar">${bar}</span></td></tr>`;
  });
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
