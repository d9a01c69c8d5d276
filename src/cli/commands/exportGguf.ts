/**
 * `sft-studio export-gguf --model DIR --out FILE [--adapter DIR] [--dtype f32|f16] [--force]`:
 * writes the model as a GGUF file for llama.cpp, Ollama and LM Studio; with an adapter, the
 * adapter is merged first (in a temporary folder).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportGguf } from '../../trainer/export/gguf';
import { mergeAdapter } from '../../trainer/merge';
import { choiceFlag, flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export function runExportGguf(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { model: { value: true }, out: { value: true }, adapter: { value: true }, dtype: { value: true }, force: { value: false } });
  const model = flag(args, 'model');
  const out = flag(args, 'out');
  if (!model || !out) throw new UsageError('usage: sft-studio export-gguf --model DIR --out FILE.gguf [--adapter DIR] [--dtype f32|f16] [--force]');
  if (fs.existsSync(out) && !args.flags.has('force')) throw new UsageError(`${out} already exists: choose another --out, or add --force to replace it`);
  const dtype = choiceFlag(args, 'dtype', ['f32', 'f16'] as const, 'f32');
  const adapter = flag(args, 'adapter');
  const merged = adapter ? fs.mkdtempSync(path.join(os.tmpdir(), 'sft-merged-')) : undefined;
  let result: ReturnType<typeof exportGguf>;
  try {
    if (adapter) mergeAdapter(model, adapter, merged!, 'f32');
    result = exportGguf(merged ?? model, out, { dtype });
  } finally {
    if (merged) fs.rmSync(merged, { recursive: true, force: true });
  }
  io.stderr(`${out}: ${result.tensors} tensors, ${(result.bytes / 1e6).toFixed(1)} MB (${dtype})\n`);
  return 0;
}
