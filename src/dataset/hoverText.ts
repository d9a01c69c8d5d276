/**
 * What the editor shows when hovering an example: the text exactly as the chat template renders
 * it (special tokens visible), cut into the parts that are context and the parts that train, with
 * token counts and where `max_length` cuts. Built on the training seam (`prepareLine`), so the
 * preview is what the trainer learns from, token for token.
 */
import { prepareLine, readTrainableRecord, renderRecord, type ExampleContext, type TokenizedExample } from './example';
import type { LineFinding } from './rules';

/** One run of the rendered text: context, trained, or cut off by `max_length`. */
export interface PreviewSegment {
  text: string;
  kind: 'context' | 'trained' | 'cut';
  /** Tokens in the segment, when a tokenizer counted them. */
  tokens?: number;
}

export type ExamplePreview =
  | { ok: true; segments: PreviewSegment[]; tokens: number; trainedTokens: number; trainedCut: number; maxLength: number; templateName?: string }
  | { ok: false; text?: string; findings: LineFinding[]; templateName?: string };

/** The preview of one dataset line; without a tokenizer the trained parts are the template's spans, uncounted. */
export function previewLine(line: string, context: ExampleContext): ExamplePreview {
  const templateName = context.template?.info.name;
  const named = templateName ? { templateName } : {};
  if (!context.tokenizer) return previewWithoutTokenizer(line, context, named);
  const prepared = prepareLine(line, context);
  if (!prepared.ok) return { ok: false, findings: prepared.findings, ...named, ...(prepared.rendered ? { text: prepared.rendered.text } : {}) };
  return { ok: true, segments: tokenSegments(prepared), tokens: prepared.totalTokens, trainedTokens: prepared.trainedTokens, trainedCut: prepared.trainedCut, maxLength: context.maxLength, ...named };
}

/** Groups the kept tokens into runs of trained and untrained ones, then the cut rest. */
function tokenSegments(example: TokenizedExample): PreviewSegment[] {
  const { ids, trained, offsets, rendered } = example;
  const end = example.cutAt ?? rendered.text.length;
  const segments: PreviewSegment[] = [];
  let runStart = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i < ids.length && trained[i] === trained[runStart]) continue;
    const from = runStart === 0 ? 0 : offsets[2 * runStart]!;
    const to = i < ids.length ? offsets[2 * i]! : end;
    segments.push({ text: rendered.text.slice(from, to), kind: trained[runStart] ? 'trained' : 'context', tokens: i - runStart });
    runStart = i;
  }
  if (example.truncatedFrom !== undefined) segments.push({ text: rendered.text.slice(end), kind: 'cut', tokens: example.truncatedFrom - ids.length });
  return segments;
}

function previewWithoutTokenizer(line: string, context: ExampleContext, named: { templateName?: string }): ExamplePreview {
  // Without a tokenizer there is nothing to encode: the template's trained spans are the answer.
  const read = readTrainableRecord(line);
  if (!read.ok) return { ok: false, findings: read.findings, ...named };
  const rendered = renderRecord(read.record, context);
  if (!rendered) return { ok: false, findings: [{ code: 'template/missing', start: 0, end: 0, message: 'A chat example needs a chat template: set "template" or "model" in sft-studio.json' }], ...named };
  const fatal = rendered.findings.filter((f) => f.code === 'template/raised' || f.code === 'template/limit');
  if (fatal.length > 0) return { ok: false, findings: fatal, text: rendered.text, ...named };
  const { text, spans } = rendered;
  const segments: PreviewSegment[] = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start > at) segments.push({ text: text.slice(at, span.start), kind: 'context' });
    if (span.end > Math.max(span.start, at)) segments.push({ text: text.slice(Math.max(span.start, at), span.end), kind: 'trained' });
    at = Math.max(at, span.end);
  }
  if (at < text.length) segments.push({ text: text.slice(at), kind: 'context' });
  return { ok: true, segments, tokens: 0, trainedTokens: 0, trainedCut: 0, maxLength: context.maxLength, ...named };
}

/** At most this many characters of rendered text in one hover; the rest is summarised. */
const PREVIEW_CHARS = 6000;

/** The preview as Markdown: a heading with the counts, then each segment in its own fenced block. */
export function previewMarkdown(preview: ExamplePreview, hasTokenizer: boolean): string {
  const template = preview.templateName ? `template \`${preview.templateName}\`` : 'no chat template';
  if (!preview.ok) {
    const why = preview.findings.map((f) => `- ${f.message}`).join('\n');
    return [`**Formatted example** · ${template}`, '', preview.text ? fenced(clip(preview.text, PREVIEW_CHARS)) : '', 'This example cannot train:', why].join('\n');
  }
  const counts = hasTokenizer
    ? `${preview.tokens} tokens, ${preview.trainedTokens} trained · max_length ${preview.maxLength}${preview.trainedCut > 0 ? ` (cuts ${preview.trainedCut} trained)` : ''}`
    : 'no tokenizer: set "model" in sft-studio.json to count tokens';
  const parts = [`**Formatted example** · ${template} · ${counts}`];
  let budget = PREVIEW_CHARS;
  for (const segment of preview.segments) {
    if (segment.text.length === 0) continue;
    const count = segment.tokens !== undefined ? ` · ${segment.tokens} token${segment.tokens === 1 ? '' : 's'}` : '';
    const label = segment.kind === 'trained' ? `**▶ trained**${count}` : segment.kind === 'cut' ? `✂ *cut by max_length ${preview.maxLength}, never seen in training*${count}` : `context (not trained)${count}`;
    parts.push('', label, fenced(clip(segment.text, Math.max(200, budget))));
    budget -= segment.text.length;
  }
  return parts.join('\n');
}

/** A fenced code block whose fence is longer than any backtick run inside the text. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}\n… (${text.length - chars} more characters)`;
}
