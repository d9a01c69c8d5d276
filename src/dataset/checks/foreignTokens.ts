/**
 * Finds special tokens of other models' chat templates written into plain `text` records: a file
 * written for Phi-3 (`<|user|>`) checked against Llama 3 trains the literal characters of those
 * tokens, not the tokens, and the model learns a format it will never be prompted with.
 */
import { sourceColumnOfStringIndex, type JsonSpan } from '../json/parseJson';
import type { LineFinding } from '../rules';
import { catalogEntries } from '../templateCatalog';

/** Token text that is unmistakably a special token rather than ordinary markup. */
export const SPECIAL_LOOKING = /^(?:<\|[^|\s]+\|>|<｜[^｜]+｜>|<(?:start|end)_of_turn>|<\/?s>|<bos>|<eos>|\[\/?INST\])$/;

interface ForeignTokenIndex {
  pattern: RegExp;
  families: Map<string, string[]>;
}

const indexCache = new WeakMap<readonly string[], ForeignTokenIndex | null>();

function indexFor(known: readonly string[]): ForeignTokenIndex | null {
  const cached = indexCache.get(known);
  if (cached !== undefined) return cached;
  const knownSet = new Set(known);
  const families = new Map<string, string[]>();
  for (const entry of catalogEntries()) {
    for (const token of entry.info.specialTokens) {
      if (knownSet.has(token) || !SPECIAL_LOOKING.test(token)) continue;
      const owners = families.get(token) ?? [];
      const family = entry.name.split(':')[0]!;
      if (!owners.includes(family)) owners.push(family);
      families.set(token, owners);
    }
  }
  const escaped = [...families.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const index = escaped.length > 0 ? { pattern: new RegExp(escaped.join('|'), 'g'), families } : null;
  indexCache.set(known, index);
  return index;
}

/**
 * At most three findings per text, on the token occurrences inside the JSON string `textSpan` of
 * `line`. Each offers the templates that own its token, those that own most of the text's foreign
 * tokens first, then the plainer (shorter) name: `<|user|>` alone belongs to several families, `<|user|>` with `<|end|>` to Phi-3.
 * Templates are offered only when `known` comes from a template alone: a model's tokenizer would
 * not know the other family's tokens either.
 */
export function findForeignTokens(line: string, text: string, known: readonly string[], textSpan: JsonSpan, offerTemplates: boolean): LineFinding[] {
  const index = indexFor(known);
  if (!index) return [];
  const matches = [...text.matchAll(index.pattern)];
  if (matches.length === 0) return [];
  const score = new Map<string, number>();
  for (const token of new Set(matches.map((m) => m[0]))) {
    for (const family of index.families.get(token)!) score.set(family, (score.get(family) ?? 0) + 1);
  }
  return matches.slice(0, 3).map((match) => {
    const families = [...index.families.get(match[0])!].sort((a, b) => score.get(b)! - score.get(a)! || a.length - b.length).slice(0, 3);
    const start = sourceColumnOfStringIndex(line, textSpan, match.index);
    const finding: LineFinding = {
      code: 'template/foreign-tokens', start, end: sourceColumnOfStringIndex(line, textSpan, match.index + match[0].length),
      message: `${match[0]} is a special token of other models' chat templates (${families.join(', ')}), not of this model's, so it is trained as plain characters: was this file written for another model?`,
    };
    if (offerTemplates) finding.fixes = families.map((family) => ({ title: `Use template "${family}" in sft-studio.json`, kind: 'set-project', key: 'template', value: family }));
    return finding;
  });
}
