/**
 * `sft-studio generate --model DIR (--prompt TEXT | --messages JSON) [--max-new-tokens N]
 * [--temperature T] [--top-p P] [--seed N] [--template NAME] [--adapter DIR] [--backend B]`: the reply is
 * printed to stdout as it is generated (with an adapter, in the chat template it was trained with);
 * the backend and speed go to stderr.
 */
import { describeBackend, initBackend, BACKEND_REQUESTS } from '../../trainer/backend';
import { generate } from '../../trainer/generate';
import { loadModelWithAdapter } from '../../trainer/loadModel';
import { adapterTemplateFile } from '../../trainer/peftAdapter';
import { loadPromptContext, preparePrompt, type PromptInput } from '../../trainer/prompt';
import { choiceFlag, flag, parseArgs, positiveIntFlag, UsageError } from '../args';
import type { CliIo } from '../io';
import { didYouMean } from '../../common/didYouMean';
import { KNOWN_ROLES } from '../../dataset/checks/messageRules';

export async function runGenerate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    model: { value: true }, prompt: { value: true }, messages: { value: true }, 'max-new-tokens': { value: true },
    temperature: { value: true }, 'top-p': { value: true }, seed: { value: true }, template: { value: true }, adapter: { value: true }, backend: { value: true },
  });
  const modelDir = flag(args, 'model');
  if (!modelDir) throw new UsageError('generate needs --model DIR (a Hugging Face model folder)');
  const input = promptInput(flag(args, 'prompt'), flag(args, 'messages'));
  const temperature = numberFlag(flag(args, 'temperature'), 'temperature', 0, 0, 100);
  const topP = numberFlag(flag(args, 'top-p'), 'top-p', 1, Number.MIN_VALUE, 1);
  const backend = choiceFlag(args, 'backend', BACKEND_REQUESTS, 'auto');
  const adapterDir = flag(args, 'adapter');
  const adapterTemplate = adapterDir ? adapterTemplateFile(adapterDir) : undefined;
  const template = flag(args, 'template') ?? adapterTemplate;
  const context = loadPromptContext(modelDir, template);
  const choice = await initBackend(backend);
  io.stderr(`${describeBackend(choice)}\n`);
  const { model } = loadModelWithAdapter(modelDir, adapterDir);
  try {
    const prompt = preparePrompt(context, input, model.config.eosTokenIds);
    let printed = '';
    const generated: number[] = [];
    const result = await generate(model, prompt.ids, {
      maxNewTokens: positiveIntFlag(args, 'max-new-tokens') ?? 128,
      temperature,
      topP,
      seed: positiveIntFlag(args, 'seed') ?? 1,
      stopIds: prompt.stopIds,
      onToken(id) {
        // Decode the whole reply each time so characters split across tokens print whole.
        generated.push(id);
        const text = prompt.tokenizer.decode(generated, { skipSpecialTokens: true });
        if (text.startsWith(printed)) io.stdout(text.slice(printed.length));
        printed = text;
      },
    });
    io.stdout('\n');
    const rate = result.decodeSeconds > 0 ? (result.ids.length / result.decodeSeconds).toFixed(1) : 'n/a';
    io.stderr(`${result.promptTokens} prompt tokens in ${result.prefillSeconds.toFixed(2)} s; ${result.ids.length} new tokens at ${rate} tokens/s; stopped by ${result.stoppedBy}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

function promptInput(prompt: string | undefined, messages: string | undefined): PromptInput {
  if ((prompt === undefined) === (messages === undefined)) throw new UsageError('pass exactly one of --prompt TEXT or --messages JSON');
  if (prompt !== undefined) return { prompt };
  let parsed: unknown;
  try {
    parsed = JSON.parse(messages!);
  } catch (error) {
    throw new UsageError(`--messages is not valid JSON (${(error as Error).message}); pass a list such as '[{"role": "user", "content": "Hi"}]'`);
  }
  if (!Array.isArray(parsed) || !parsed.every((m) => m && typeof m === 'object' && typeof (m as { role?: unknown }).role === 'string')) {
    throw new UsageError('--messages must be a JSON list of {"role": ..., "content": ...} objects');
  }
  // Checked here, before a backend or any weight is loaded.
  for (const { role } of parsed as Array<{ role: string }>) {
    if (KNOWN_ROLES.includes(role)) continue;
    const hint = didYouMean(role, KNOWN_ROLES);
    throw new UsageError(`--messages: unknown role ${JSON.stringify(role)}: ${hint ? `did you mean ${JSON.stringify(hint)}?` : `use one of ${KNOWN_ROLES.join(', ')}`}`);
  }
  return { messages: parsed as Array<Record<string, unknown>> };
}

function numberFlag(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, not "${raw}"`);
  return value;
}
