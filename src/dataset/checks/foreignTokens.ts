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

/** At most three findings per text, on the token occurrences inside the JSON string `textSpan` of `line`. */
export function findForeignTokens(line: string, text: string, known: readonly string[], textSpan: JsonSpan): LineFinding[] {
  const index = indexFor(known);
  if (!index) return [];
  const findings: LineFinding[] = [];
  index.pattern.lastIndex = 0;
  for (let match = index.pattern.exec(text); match && findings.length < 3; match = index.pattern.exec(text)) {
    const owners = index.families.get(match[0])!.slice(0, 3).join(', ');
    const at = {
      start: sourceColumnOfStringIndex(line, textSpan, match.index),
      end: sourceColumnOfStringIndex(line, textSpan, match.index + match[0].length),
    };
    findings.push({
      code: 'template/foreign-tokens', ...at,
      message: `${match[0]} is a special token of other models' chat templates (${owners}), not of this model's, so it is trained as plain characters: was this file written for another model?`,
    });
  }
  return findings;
}
