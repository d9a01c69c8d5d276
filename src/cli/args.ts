/**
 * A small, strict command-line parser: every flag must be declared, so a typo is a usage error
 * (exit 2) rather than a silently ignored option.
 */
import { UserError } from '../common/errors';

export class UsageError extends UserError {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  /** Takes a value (`--model DIR`) or is a switch (`--stats`). */
  value: boolean;
  /** May be given several times; values are collected. */
  repeat?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && !arg.startsWith('--') && arg !== '-') {
      throw new UsageError(`Unknown option ${arg}: options are long (--name); run with --help to see them`);
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`Unknown option --${name}; run with --help to see the options`);
    let value = 'true';
    if (spec.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`--${name} needs a value`);
    } else if (eq >= 0) {
      throw new UsageError(`--${name} takes no value`);
    }
    const values = flags.get(name) ?? [];
    if (values.length > 0 && !spec.repeat) throw new UsageError(`--${name} was given twice`);
    values.push(value);
    flags.set(name, values);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function positiveIntFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = flag(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive whole number, not "${raw}"`);
  return value;
}

export function choiceFlag<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${raw}"`);
  return raw as T;
}
