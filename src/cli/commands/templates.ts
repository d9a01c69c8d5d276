/** `sft-studio templates [--format text|json]`: the built-in chat templates, by the names `--template` takes. */
import { catalogEntries } from '../../dataset/templateCatalog';
import { choiceFlag, parseArgs } from '../args';
import type { CliIo } from '../io';

export function runTemplates(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { format: { value: true } });
  const format = choiceFlag(args, 'format', ['text', 'json'] as const, 'text');
  const entries = catalogEntries().map((e) => ({ name: e.name, aliases: e.aliases, bos_token: e.info.bosToken ?? null, eos_token: e.info.eosToken ?? null }));
  if (format === 'json') {
    io.stdout(`${JSON.stringify(entries, null, 1)}\n`);
    return 0;
  }
  const width = Math.max(...entries.map((e) => e.name.length));
  for (const e of entries) {
    const also = e.aliases.length > 0 ? `  (also ${e.aliases.join(', ')})` : '';
    io.stdout(`${e.name.padEnd(width)}${also}\n`);
  }
  io.stdout(`\n${entries.length} templates, from @huggingface/ollama-utils. Use one with --template NAME or "template" in sft-studio.json.\n`);
  return 0;
}
