/**
 * `sft-studio example DIR`: writes the built-in example project to DIR: the "answer like an
 * Australian" dataset and its evaluation set, a small blank Llama model (byte-level tokenizer,
 * ChatML template) and an sft-studio.json that trains one epoch in about a minute on a CPU. The
 * editor's walkthrough runs it; it never overwrites a project that is there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../common/errors';
import { PROJECT_FILE_NAME } from '../../common/projectFile';
import { writeBlankModel } from '../../trainer/blankModel';
import { UsageError } from '../args';
import type { CliIo } from '../io';

const DATASETS = ['aussie.sft.jsonl', 'aussie-eval.sft.jsonl'] as const;

export const EXAMPLE_PROJECT = {
  model: './model',
  dataset: 'aussie.sft.jsonl',
  eval_dataset: 'aussie-eval.sft.jsonl',
  max_length: 128,
  lora: { r: 16, lora_alpha: 32, target_modules: 'all-linear' },
  training: { num_train_epochs: 1, per_device_train_batch_size: 4, gradient_accumulation_steps: 1, learning_rate: 0.004, lr_scheduler_type: 'cosine', warmup_ratio: 0.05, logging_steps: 1, save_strategy: 'epoch' },
  samples: { prompts: ["What's 2+2?", 'Hello!'], every_n_steps: 9, max_new_tokens: 12 },
};

export function runExample(argv: readonly string[], io: CliIo): number {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) throw new UsageError('usage: sft-studio example DIR');
  const dir = path.resolve(argv[0]!);
  if (fs.existsSync(path.join(dir, PROJECT_FILE_NAME))) throw new UserError(`${dir} already holds a project (${PROJECT_FILE_NAME}); choose another folder`);
  const source = exampleSource();
  fs.mkdirSync(dir, { recursive: true });
  for (const name of DATASETS) fs.copyFileSync(path.join(source, name), path.join(dir, name));
  writeBlankModel(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, PROJECT_FILE_NAME), `${JSON.stringify(EXAMPLE_PROJECT, null, 2)}\n`);
  io.stderr(`wrote the example project to ${dir}: ${DATASETS.join(', ')}, model/ (a blank Llama), ${PROJECT_FILE_NAME}\ntrain it: cd ${JSON.stringify(dir)} && sft-studio train\n`);
  return 0;
}

/** The example's datasets ship in examples/aussie, next to dist/ in the package and in the repository. */
function exampleSource(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'examples', 'aussie');
    if (fs.existsSync(path.join(candidate, DATASETS[0]))) return candidate;
    if (path.dirname(dir) === dir) throw new UserError('the example datasets (examples/aussie) are missing from this installation; reinstall SFT Studio');
  }
}
