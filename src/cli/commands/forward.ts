/**
 * `sft-studio forward --model DIR --ids 1,415,2 [--adapter DIR] [--backend B] [--format json|text]`: the logits
 * at every position, for checking the model against other implementations. JSON:
 * `{"logits": [[...], ...]}`, one row per input position.
 */
import { BACKEND_REQUESTS, describeBackend, initBackend } from '../../trainer/backend';
import { loadModelWithAdapter } from '../../trainer/loadModel';
import { choiceFlag, flag, parseArgs, UsageError } from '../args';
import type { CliIo } from '../io';

export async function runForward(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { model: { value: true }, ids: { value: true }, adapter: { value: true }, backend: { value: true }, format: { value: true } });
  const modelDir = flag(args, 'model');
  const rawIds = flag(args, 'ids');
  if (!modelDir || !rawIds) throw new UsageError('usage: sft-studio forward --model DIR --ids 1,415,2 [--adapter DIR] [--backend B] [--format json|text]');
  const ids = rawIds.split(',').map((s) => Number(s.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 0)) throw new UsageError(`--ids must be comma-separated token ids, not "${rawIds}"`);
  const format = choiceFlag(args, 'format', ['json', 'text'] as const, 'json');
  const choice = await initBackend(choiceFlag(args, 'backend', BACKEND_REQUESTS, 'auto'));
  io.stderr(`${describeBackend(choice)}\n`);
  const { model } = loadModelWithAdapter(modelDir, flag(args, 'adapter'));
  try {
    const tooLarge = ids.find((id) => id >= model.config.vocabSize);
    if (tooLarge !== undefined) throw new UsageError(`token id ${tooLarge} is outside the vocabulary (vocab_size ${model.config.vocabSize})`);
    const rows = await model.logitsOf(ids);
    if (format === 'json') {
      io.stdout(`${JSON.stringify({ logits: rows })}\n`);
    } else {
      rows.forEach((row, position) => {
        const top = row.map((value, id) => [value, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
        io.stdout(`${position}: ${top.map(([value, id]) => `${id} (${value.toFixed(3)})`).join(', ')}\n`);
      });
    }
    return 0;
  } finally {
    model.dispose();
  }
}
