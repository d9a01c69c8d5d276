/**
 * The `sft-studio` command line: one dispatcher over the subcommands. Exit codes: 0 success,
 * 1 problems found in the data, 2 a usage problem (bad flag, missing file, unreadable model).
 * Training commands will be loaded lazily here so that `check` never pays for TensorFlow.js.
 */
import * as path from 'node:path';
import { isUserError } from '../common/errors';
import { UsageError } from './args';
import { runCheck } from './commands/check';
import { runConvert } from './commands/convert';
import { runRender } from './commands/render';
import { runRules } from './commands/rules';
import { runTemplates } from './commands/templates';
import { processIo, type CliIo } from './io';

export { mayStartDawn, runWithNativeWarningsFiltered } from './nativeWarnings';

const HELP = `sft-studio: check supervised fine-tuning datasets (.sft.jsonl) and train LoRA adapters on them

Usage:
  sft-studio check FILE... [--model DIR] [--template NAME] [--max-length N]
                   [--format text|json] [--stats] [--ignore CODE]... [--jobs N]
      Check every line against the record formats, the chat template and the tokenizer.
      FILE may be a folder (every .sft.jsonl below it) or - (standard input).
      Exit 0 when no error is found, 1 when one is, 2 on a usage or setup problem.
  sft-studio render FILE --line N [--model DIR] [--template NAME] [--format text|json]
      Show one example as training sees it, with the trained tokens marked.
  sft-studio convert FILE --out NEW_FILE [--force]
      Rewrite ShareGPT and Alpaca lines as {"messages": [...]}; other lines are copied unchanged.
  sft-studio templates [--format text|json]
      List the built-in chat templates.
  sft-studio rules [--format text|json|markdown]
      List the rule codes of check, with their default severity and what each finds.
  sft-studio train [CONFIG] [--set section.key=value]... [--output-dir DIR] [--backend B]
                   [--resume RUN_DIR] [--events stdout]
      Train a LoRA / QLoRA adapter as CONFIG (default: sft-studio.json here or above) says.
      Writes the run folder: config.json, events.ndjson, checkpoint-<step>/, final/ (a PEFT
      adapter). Ctrl+C saves and stops; --resume continues from the last checkpoint.
  sft-studio merge --model DIR --adapter DIR --out DIR [--dtype f32|f16|bf16] [--force]
      Merge an adapter into its base model: a standalone Hugging Face folder.
  sft-studio generate --model DIR (--prompt TEXT | --messages JSON) [--adapter DIR]
                   [--max-new-tokens N] [--temperature T] [--top-p P] [--seed N]
                   [--template NAME] [--backend B]
      Generate a reply with a Llama, Mistral, Qwen2 or Phi-3 model folder (safetensors).
  sft-studio forward --model DIR --ids 1,415,2 [--adapter DIR] [--backend B] [--format json|text]
      Print the logits at every position: {"logits": [[...]]}.
  sft-studio export-gguf --model DIR --out FILE.gguf [--adapter DIR] [--dtype f32|f16] [--force]
      Write the model (with an adapter merged in) as GGUF for llama.cpp, Ollama and LM Studio.
  sft-studio example DIR
      Write the built-in example project to DIR: a dataset, a small blank model, sft-studio.json.

Options:
  --model DIR       a Hugging Face model folder (tokenizer.json, tokenizer_config.json), or a
                    hub id found in the local Hugging Face cache
  --template NAME   a built-in template name (see \`sft-studio templates\`) or a path to a
                    .jinja file; overrides the model's own
  --max-length N    examples longer than N tokens are truncated, as training does (default 1024)
  --format F        text (default) or json: an array of findings with 1-based lines and UTF-16
                    columns; with --stats, {"findings": [...], "stats": [...]}
  --stats           also print statistics: examples by format, tokens, lengths, the share over
                    max_length
  --ignore CODE     switch a rule off for this run (see \`sft-studio rules\`); may be repeated
  --jobs N          check on N worker threads (default: 2 for files over 2 MB, else 1)
  --force           let convert replace an existing --out file
  --backend B       auto (default), wasm, webgpu, tensorflow or cpu

Settings can also come from sft-studio.json in the dataset's folder or above; flags win.
`;

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check': return await runCheck(rest, io);
      case 'render': return await runRender(rest, io);
      case 'convert': return await runConvert(rest, io);
      case 'templates': return runTemplates(rest, io);
      case 'rules': return runRules(rest, io);
      case 'train': return await trainerCommands().runTrain(rest, io);
      case 'merge': return trainerCommands().runMerge(rest, io);
      case 'generate': return await trainerCommands().runGenerate(rest, io);
      case 'forward': return await trainerCommands().runForward(rest, io);
      case 'export-gguf': return trainerCommands().runExportGguf(rest, io);
      case 'example': return trainerCommands().runExample(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}": use check, render, convert, templates, rules, train, merge, generate, forward, export-gguf or example (see sft-studio --help)`);
    }
  } catch (error) {
    if (isUserError(error)) {
      io.stderr(`sft-studio: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

type TrainerCommands = typeof import('./trainerCommands');

/** Loads the TensorFlow.js commands only when one is called: a separate bundle next to this one. */
function trainerCommands(): TrainerCommands {
  const file = __filename.endsWith('.ts') ? './trainerCommands' : path.join(__dirname, 'trainerCommands.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time path keeps the bundles apart
  return require(file) as TrainerCommands;
}

