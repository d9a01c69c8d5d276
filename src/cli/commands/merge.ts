/**
 * `sft-studio merge --model DIR --adapter DIR --out DIR [--dtype f32|f16|bf16] [--force]`: a
 * standalone Hugging Face model folder with the adapter merged into the base weights.
 */
import * as fs from 'node:fs';
import { mergeAdapter } from '../../trainer/merge';
import { choiceFlag, flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export function runMerge(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { model: { value: true }, adapter: { value: true }, out: { value: true }, dtype: { value: true }, force: { value: false } });
  const model = flag(args, 'model');
  const adapter = flag(args, 'adapter');
  const out = flag(args, 'out');
  if (!model || !adapter || !out || args.positionals.length > 0) throw new UsageError('usage: sft-studio merge --model DIR --adapter DIR --out DIR [--dtype f32|f16|bf16] [--force]');
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !args.flags.has('force')) {
    throw new UsageError(`${out} already exists and is not empty: choose another --out, or add --force to replace its files`);
  }
  const dtype = choiceFlag(args, 'dtype', ['f32', 'f16', 'bf16'] as const, 'f32');
  const result = mergeAdapter(model, adapter, out, dtype);
  io.stderr(`${out}: merged ${result.mergedModules} adapted modules; ${result.tensors} tensors, ${(result.bytes / 1e6).toFixed(1)} MB (${dtype})\n`);
  return 0;
}
