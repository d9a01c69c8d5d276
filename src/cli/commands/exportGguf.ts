/**
 * `sft-studio export-gguf --model DIR --out FILE [--dtype f32|f16] [--force]`: writes the model
 * as a GGUF file for llama.cpp, Ollama and LM Studio.
 */
import * as fs from 'node:fs';
import { exportGguf } from '../../trainer/export/gguf';
import { choiceFlag, flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export function runExportGguf(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { model: { value: true }, out: { value: true }, dtype: { value: true }, force: { value: false } });
  const model = flag(args, 'model');
  const out = flag(args, 'out');
  if (!model || !out) throw new UsageError('usage: sft-studio export-gguf --model DIR --out FILE.gguf [--dtype f32|f16] [--force]');
  if (fs.existsSync(out) && !args.flags.has('force')) throw new UsageError(`${out} already exists: choose another --out, or add --force to replace it`);
  const dtype = choiceFlag(args, 'dtype', ['f32', 'f16'] as const, 'f32');
  const result = exportGguf(model, out, { dtype });
  io.stderr(`${out}: ${result.tensors} tensors, ${(result.bytes / 1e6).toFixed(1)} MB (${dtype})\n`);
  return 0;
}
