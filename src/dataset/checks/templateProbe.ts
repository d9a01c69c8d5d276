/**
 * Facts about a chat template (and the tokenizer it is paired with) that hold for every example,
 * found once per setup by rendering one small conversation, so they are reported once for the
 * file and not on every line:
 *
 * - the template's markers are not tokens of the tokenizer (a Qwen template on a Llama 3
 *   tokenizer splits `<|im_end|>` into ordinary pieces, so the model never learns to stop);
 * - the template ignores `add_generation_prompt` and writes no assistant header for it, so the
 *   header falls inside each reply's trained span;
 * - the template writes the assistant header after the last reply even without
 *   `add_generation_prompt` (the first Llama 3 Instruct release), so every example ends with it;
 * - which end-of-turn text closes a reply, for the generation-config check.
 */
import { endOfTurnMarkers } from '../mask';
import type { LineFinding } from '../rules';
import type { ChatTemplate } from '../template';
import type { TextTokenizer } from '../tokens';

/** Token-like markers: the shapes special tokens take in chat templates. */
const MARKER = /<\|[^|\s]+\|>|<｜[^｜]+｜>|<(?:start|end)_of_turn>|<\/?s>|<bos>|<eos>/g;

const PROBE_REPLY = 'Hello there';
const PROBE_MESSAGES = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: PROBE_REPLY }];

export interface TemplateProbe {
  /** The conversation rendered whole; undefined when the template refused the probe. */
  rendered?: string;
  /** The end-of-turn text written right after a reply, such as `<|eot_id|>`. */
  turnEnd?: string;
  /** Text the template writes after the last reply's end of turn without a generation prompt. */
  trailingHeader?: string;
  /** The header that precedes a reply when the template cannot write a generation prompt. */
  untrainableHeader?: string;
}

const probeCache = new WeakMap<ChatTemplate, TemplateProbe>();

export function probeTemplate(template: ChatTemplate): TemplateProbe {
  const cached = probeCache.get(template);
  if (cached) return cached;
  const probe = runProbe(template);
  probeCache.set(template, probe);
  return probe;
}

function runProbe(template: ChatTemplate): TemplateProbe {
  const conversation = template.prepare(PROBE_MESSAGES);
  const render = (count: number, generationPrompt: boolean): string | undefined => {
    const result = template.renderPrefix(conversation, count, generationPrompt);
    return result.ok ? result.text : undefined;
  };
  const whole = render(2, false);
  const promptWithHeader = render(1, true);
  const promptAlone = render(1, false);
  if (whole === undefined || promptWithHeader === undefined || promptAlone === undefined) return {};
  const probe: TemplateProbe = { rendered: whole };
  const replyAt = whole.indexOf(PROBE_REPLY);
  if (replyAt < 0) return probe;
  const replyEnd = replyAt + PROBE_REPLY.length;
  const markers = endOfTurnMarkers(template);
  let turnEndAt = -1;
  for (const marker of markers) {
    const at = whole.indexOf(marker, replyEnd);
    if (at >= 0 && (turnEndAt < 0 || at < turnEndAt)) {
      turnEndAt = at;
      probe.turnEnd = marker;
    }
  }
  const ignoresGenerationPrompt = promptWithHeader === promptAlone;
  if (ignoresGenerationPrompt && whole.startsWith(promptAlone)) {
    const header = whole.slice(promptAlone.length, replyAt);
    if (header.trim().length > 0) probe.untrainableHeader = header;
  }
  if (probe.turnEnd !== undefined && render(2, true) === whole) {
    const tail = whole.slice(turnEndAt + probe.turnEnd.length);
    if (tail.trim().length > 0) probe.trailingHeader = tail;
  }
  return probe;
}

/** File-level findings about the template alone, and about the template with its tokenizer. */
export function templateSetupFindings(template: ChatTemplate, tokenizer: TextTokenizer | undefined): LineFinding[] {
  const probe = probeTemplate(template);
  const findings: LineFinding[] = [];
  const name = template.info.name;
  if (probe.untrainableHeader !== undefined) {
    findings.push({
      code: 'template/no-generation-prompt', start: 0, end: 0,
      message: `The chat template "${name}" writes nothing for add_generation_prompt, so the text before each reply (${JSON.stringify(probe.untrainableHeader)}) cannot be told from the reply and is trained with it: the model learns to write its own header. Add an {% if add_generation_prompt %} block that writes the assistant header`,
    });
  }
  if (probe.trailingHeader !== undefined) {
    findings.push({
      code: 'template/generation-prompt-always', start: 0, end: 0,
      message: `The chat template "${name}" writes ${JSON.stringify(probe.trailingHeader)} after the last reply even without add_generation_prompt (as the first Llama 3 Instruct release did), so every example ends with it. It is not trained, so training is unaffected; later releases of the template write it only for add_generation_prompt`,
    });
  }
  if (tokenizer && probe.rendered !== undefined) {
    const mismatch = splitMarkers(probe.rendered, tokenizer);
    const replyEnd = probe.rendered.indexOf(PROBE_REPLY) + PROBE_REPLY.length;
    const endSplit = mismatch.find((m) => probe.rendered!.indexOf(m, replyEnd) >= 0);
    if (endSplit !== undefined) {
      const pieces = tokenizer.encodeIds(endSplit).map((id) => JSON.stringify(tokenizer.decodeToken(id)));
      findings.push({
        code: 'template/tokenizer-mismatch', start: 0, end: 0,
        message: `The chat template "${name}" and the tokenizer do not belong together: the template writes ${mismatch.slice(0, 4).join(', ')}, which the tokenizer does not have as tokens; it splits ${endSplit} into ${pieces.length} pieces (${pieces.join(' ')}), so the model never learns one end-of-turn token and generation does not stop. Use the model's own chat template, or a template of the tokenizer's family`,
      });
    }
  }
  return findings;
}

/** Markers in rendered text that the tokenizer does not have as single tokens, in order of appearance. */
function splitMarkers(text: string, tokenizer: TextTokenizer): string[] {
  const split: string[] = [];
  for (const match of text.matchAll(MARKER)) {
    if (!split.includes(match[0]) && tokenizer.tokenId(match[0]) === undefined) split.push(match[0]);
  }
  return split;
}
