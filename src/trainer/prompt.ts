/**
 * Turns a prompt or a message list into token ids exactly as the checker renders training data:
 * the same template code (the model's chat template, or `--template`), with the generation
 * prompt, encoded without extra special tokens because the template writes BOS itself.
 */
import { endOfTurnMarkers } from '../dataset/mask';
import { DEFAULT_MAX_LENGTH } from '../common/trainConfig';
import type { ExampleContext } from '../dataset/example';
import { loadExampleContext } from '../dataset/load/exampleContext';
import type { TextTokenizer } from '../dataset/tokens';
import { SetupError } from '../dataset/load/setupError';

export interface PromptInput {
  /** A single user message. */
  prompt?: string;
  /** A full message list, as in a `messages` record. */
  messages?: Array<Record<string, unknown>>;
}

export interface PreparedPrompt {
  ids: number[];
  text: string;
  tokenizer: TextTokenizer;
  /** Token ids that end a reply: EOS and the template's end-of-turn tokens. */
  stopIds: Set<number>;
  templateName?: string;
}

export function loadPromptContext(modelDir: string, template?: string): ExampleContext {
  const { context } = loadExampleContext({ modelDir, ...(template ? { template } : {}), templateBase: process.cwd(), maxLength: DEFAULT_MAX_LENGTH });
  if (!context.tokenizer) throw new SetupError(`${modelDir} has no tokenizer.json, which generation needs`);
  return context;
}

export function preparePrompt(context: ExampleContext, input: PromptInput, configEosIds: readonly number[]): PreparedPrompt {
  const tokenizer = context.tokenizer!;
  const stopIds = new Set<number>(configEosIds);
  const eos = tokenizer.eosToken === undefined ? undefined : tokenizer.tokenId(tokenizer.eosToken);
  if (eos !== undefined) stopIds.add(eos);
  const messages = input.messages ?? [{ role: 'user', content: input.prompt ?? '' }];
  if (!context.template) {
    // No chat template (a base model): the prompt is plain text, encoded as the tokenizer does.
    const text = messages.map((m) => String(m['content'] ?? '')).join('\n');
    return { ids: tokenizer.encodeWithSpecialTokens(text), text, tokenizer, stopIds };
  }
  for (const marker of endOfTurnMarkers(context.template)) {
    const id = tokenizer.tokenId(marker);
    if (id !== undefined) stopIds.add(id);
  }
  const rendered = context.template.render({ messages, add_generation_prompt: true });
  if (!rendered.ok) throw new SetupError(`The chat template "${context.template.info.name}" cannot format these messages: ${rendered.message}`);
  return { ids: tokenizer.encodeIds(rendered.text), text: rendered.text, tokenizer, stopIds, templateName: context.template.info.name };
}
