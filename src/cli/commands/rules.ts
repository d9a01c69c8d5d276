/** `sft-studio rules [--format text|json|markdown]`: every rule code with its default severity and a line on what it finds. */
import { RULES } from '../../dataset/rules';
import { rulesMarkdown } from '../../dataset/ruleDocs';
import { choiceFlag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export function runRules(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { format: { value: true } });
  if (args.positionals.length > 0) throw new UsageError('usage: sft-studio rules [--format text|json|markdown]');
  const format = choiceFlag(args, 'format', ['text', 'json', 'markdown'] as const, 'text');
  if (format === 'markdown') {
    io.stdout(rulesMarkdown());
    return 0;
  }
  const rules = Object.entries(RULES).map(([code, rule]) => ({ code, severity: rule.severity, summary: rule.summary }));
  if (format === 'json') {
    io.stdout(`${JSON.stringify(rules, null, 1)}\n`);
    return 0;
  }
  const width = Math.max(...rules.map((r) => r.code.length));
  for (const rule of rules) io.stdout(`${rule.code.padEnd(width)}  ${rule.severity.padEnd(7)}  ${rule.summary}\n`);
  io.stdout(`\n${rules.length} rules. Change a severity or switch a rule off in sft-studio.json ("rules": {"CODE": "off"}), or for one run with --ignore CODE.\n`);
  return 0;
}
