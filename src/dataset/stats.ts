/**
 * File statistics: examples, tokens, trained tokens, a length histogram and the share of
 * examples over `max_length`. Folded line by line, so it works while streaming.
 */
import type { LineResult } from './checkLine';

export interface DatasetStatistics {
  examples: number;
  /** Examples whose tokens were counted (needs a tokenizer and a renderable record). */
  tokenizedExamples: number;
  tokens: number;
  trainedTokens: number;
  maxTokens: number;
  meanTokens: number;
  maxLength: number;
  overMaxLength: number;
  /** Share of tokenized examples over max_length, 0..1. */
  overMaxLengthShare: number;
  /** Examples per length bucket; `upTo` is inclusive, the last bucket is open-ended. */
  histogram: Array<{ upTo: number | null; examples: number }>;
  formats: Record<string, number>;
  /** The longest examples, longest first: the ones truncation hits first (0-based lines). */
  longest: LongExample[];
}

export interface LongExample {
  line: number;
  tokens: number;
  trainedTokens: number;
}

/** How many of the longest examples the statistics keep. */
const LONGEST_KEPT = 10;

export class StatisticsCollector {
  private examples = 0;
  private tokenized = 0;
  private tokens = 0;
  private trained = 0;
  private maxTokens = 0;
  private over = 0;
  private readonly bounds: number[];
  private readonly buckets: number[];
  private readonly formats: Record<string, number> = {};

  constructor(private readonly maxLength: number) {
    // Powers of two up to max_length, then one bucket for everything longer.
    this.bounds = [];
    for (let b = 64; b < maxLength; b *= 2) this.bounds.push(b);
    this.bounds.push(maxLength);
    this.buckets = new Array<number>(this.bounds.length + 1).fill(0);
  }

  private readonly longest: LongExample[] = [];

  /** Counts one line's result; `line` (0-based) lets the longest examples be named. */
  add(result: LineResult, line?: number): void {
    if (!result.format) return;
    this.examples++;
    this.formats[result.format] = (this.formats[result.format] ?? 0) + 1;
    if (result.tokens === undefined) return;
    this.tokenized++;
    this.tokens += result.tokens;
    this.trained += result.trainedTokens ?? 0;
    this.maxTokens = Math.max(this.maxTokens, result.tokens);
    if (result.tokens > this.maxLength) this.over++;
    const bucket = this.bounds.findIndex((b) => result.tokens! <= b);
    this.buckets[bucket < 0 ? this.bounds.length : bucket]!++;
    if (line !== undefined) this.keepIfLong({ line, tokens: result.tokens, trainedTokens: result.trainedTokens ?? 0 });
  }

  private keepIfLong(example: LongExample): void {
    const list = this.longest;
    if (list.length === LONGEST_KEPT && list[list.length - 1]!.tokens >= example.tokens) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.tokens < example.tokens) at--;
    list.splice(at, 0, example);
    if (list.length > LONGEST_KEPT) list.pop();
  }

  summary(): DatasetStatistics {
    return {
      examples: this.examples,
      tokenizedExamples: this.tokenized,
      tokens: this.tokens,
      trainedTokens: this.trained,
      maxTokens: this.maxTokens,
      meanTokens: this.tokenized > 0 ? this.tokens / this.tokenized : 0,
      maxLength: this.maxLength,
      overMaxLength: this.over,
      overMaxLengthShare: this.tokenized > 0 ? this.over / this.tokenized : 0,
      histogram: this.buckets.map((examples, i) => ({ upTo: this.bounds[i] ?? null, examples })),
      formats: { ...this.formats },
      longest: [...this.longest],
    };
  }
}

/** A plain-text rendering of the statistics for the terminal. */
export function formatStatistics(stats: DatasetStatistics): string {
  const lines = [
    `examples: ${stats.examples} (${Object.entries(stats.formats).map(([f, n]) => `${n} ${f}`).join(', ') || 'none readable'})`,
  ];
  if (stats.tokenizedExamples === 0) {
    lines.push('tokens: not counted (pass --model DIR with a tokenizer)');
    return lines.join('\n');
  }
  lines.push(
    `tokenized: ${stats.tokenizedExamples} of ${stats.examples} examples${stats.tokenizedExamples < stats.examples ? ' (the others could not be rendered: see their findings)' : ''}`,
    `tokens: ${stats.tokens} (mean ${stats.meanTokens.toFixed(1)}, max ${stats.maxTokens}); trained tokens: ${stats.trainedTokens} (${percent(stats.trainedTokens / Math.max(1, stats.tokens))})`,
    `over max_length ${stats.maxLength}: ${stats.overMaxLength} (${percent(stats.overMaxLengthShare)})`,
    'length histogram (tokens):',
  );
  const widest = Math.max(1, ...stats.histogram.map((b) => b.examples));
  let lower = 1;
  for (const bucket of stats.histogram) {
    const label = bucket.upTo === null ? `> ${lower - 1}` : `${lower}-${bucket.upTo}`;
    lines.push(`  ${label.padStart(11)} ${String(bucket.examples).padStart(8)} ${'#'.repeat(Math.round((bucket.examples / widest) * 40))}`);
    if (bucket.upTo !== null) lower = bucket.upTo + 1;
  }
  if (stats.longest.length > 0) lines.push(`longest: ${stats.longest.slice(0, 5).map((e) => `line ${e.line + 1} (${e.tokens} tokens)`).join(', ')}`);
  return lines.join('\n');
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
