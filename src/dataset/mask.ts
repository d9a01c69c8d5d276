/**
 * What training learns from: the rendered text of one example and the character spans of it
 * that are trained, then the tokens inside those spans.
 *
 * Most chat templates have no `{% generation %}` markers, so the trained spans are found by
 * rendering the conversation prefix by prefix: the prompt up to reply i, rendered with the
 * generation prompt, is a prefix of the whole conversation; reply i's span starts where that
 * prefix ends and runs through the first end-of-turn token that the template writes after the
 * reply's content. The assistant header (the generation prompt), system, user and tool text are
 * never trained.
 *
 * Architecture invariant: the trainer imports this module unchanged, so the editor shows exactly
 * the tokens that training learns from.
 */
import type { ChatMessage, DatasetRecord } from './records';
import type { LineFinding } from './rules';
import type { ChatTemplate } from './template';
import type { EncodedText } from './tokens';

/** A trained character span of the rendered text; `message` is the reply's index, if any. */
export interface TrainedSpan {
  start: number;
  end: number;
  message?: number;
}

export interface RenderedExample {
  /** Exactly the text the trainer tokenizes. */
  text: string;
  spans: TrainedSpan[];
  /** Where each message's content sits in `text`, where it could be found (for mapping back). */
  contentAt: Array<{ message: number; start: number; end: number }>;
  findings: LineFinding[];
}

export interface MaskOptions {
  template?: ChatTemplate;
  /** EOS string; appended to text and string completions as TRL does. */
  eosToken?: string;
}

/** Renders a record and finds its trained spans. Undefined when a chat record has no template. */
export function renderExample(record: DatasetRecord, options: MaskOptions): RenderedExample | undefined {
  switch (record.kind) {
    case 'text': {
      const text = withEos(record.text, options.eosToken);
      return { text, spans: [{ start: 0, end: text.length }], contentAt: [], findings: [] };
    }
    case 'completion': {
      // TRL trains the completion (completion_only_loss) and appends EOS to it.
      const text = withEos(record.prompt + record.completion, options.eosToken);
      return { text, spans: [{ start: record.prompt.length, end: text.length }], contentAt: [], findings: [] };
    }
    case 'chat':
      return options.template ? renderConversation(record.messages, record.tools, options.template) : undefined;
  }
}

function withEos(text: string, eos: string | undefined): string {
  return eos && !text.endsWith(eos) ? text + eos : text;
}

function renderConversation(messages: readonly ChatMessage[], tools: readonly unknown[] | undefined, template: ChatTemplate): RenderedExample {
  const findings: LineFinding[] = [];
  const conversation = template.prepare(messages.map((m) => m.value), tools);
  const whole = { start: messages[0]!.span.start, end: messages[messages.length - 1]!.span.end };
  const render = (count: number, addGenerationPrompt: boolean): string | undefined => {
    const result = template.renderPrefix(conversation, count, addGenerationPrompt);
    if (result.ok) return result.text;
    const what = count === messages.length ? 'this conversation' : `the first ${count} message${count === 1 ? '' : 's'}`;
    findings.push(result.kind === 'raised'
      ? { code: 'template/raised', ...whole, message: `The chat template "${template.info.name}" raised an error on ${what}: "${result.message}". Fix the messages, or use a template that accepts them` }
      : { code: 'template/limit', ...whole, message: `The chat template "${template.info.name}" was stopped on ${what}: ${result.message}` });
    return undefined;
  };

  const text = render(messages.length, false);
  if (text === undefined) return { text: '', spans: [], contentAt: [], findings };
  const endMarkers = endOfTurnMarkers(template);
  const contentAt = locateContents(messages, text);
  const spans: TrainedSpan[] = [];

  messages.forEach((message, index) => {
    if (!message.trained) return;
    const isLast = index === messages.length - 1;
    // The last reply's prompt can usually be read off the whole rendering: no prefix render,
    // on the checker's hottest path.
    const prompt = index === 0 ? '' : (isLast ? promptBeforeLastReply(template, text, contentAt, index) : undefined) ?? render(index, true);
    if (prompt === undefined) return;
    const alone = isLast ? text : render(index + 1, false);
    if (alone === undefined) return;
    const trimmed = message.content.trim();
    const previousEnd = spans.length > 0 ? spans[spans.length - 1]!.end : 0;
    // Where the reply starts: after its prompt when the prompt renders the same in the whole
    // conversation; otherwise (a template that moves the system prompt to the last user turn)
    // where its own text is found.
    let start: number;
    if (text.startsWith(prompt)) {
      start = prompt.length;
    } else {
      const found = trimmed.length > 0 ? text.indexOf(trimmed, previousEnd) : -1;
      if (found < 0) {
        findings.push({
          code: 'template/history-rewritten', ...message.contentSpan,
          message: 'The template renders the conversation before this reply differently once later turns follow, so its trained span cannot be located; it is not counted as trained',
        });
        return;
      }
      start = found;
    }
    // Where the turn can end: where it ends when rendered as the last turn, if the whole
    // conversation renders it the same way; else before the next message's text.
    const intact = alone === text || commonPrefixLength(alone, text) === alone.length;
    const limit = intact ? alone.length : nextContentStart(contentAt, index, start) ?? text.length;
    const found = trimmed.length > 0 ? text.indexOf(trimmed, start) : -1;
    const contentKept = found >= 0 && found + trimmed.length <= limit;
    const marker = findFirst(text, endMarkers, contentKept ? found + trimmed.length : start, limit);
    if (!intact) reportRewrittenHistory(message, text.slice(start, marker?.end ?? limit), contentKept || trimmed.length === 0, findings);
    if (marker) {
      spans.push({ start, end: marker.end, message: index });
    } else {
      spans.push({ start, end: trimEnd(text, start, Math.max(start, limit)), message: index });
      // A template that closes turns with eos_token cannot be judged while eos_token is unknown
      // (a built-in template checked without a tokenizer): the skipped-checks note says so.
      if (!template.info.eosToken && /\beos_token\b/.test(template.info.source)) return;
      findings.push({
        code: 'mask/eos-untrained', ...message.contentSpan,
        message: `No end-of-turn token (${endMarkers.slice(0, 3).join(', ') || 'eos_token'}) follows this reply in the rendered text, so the model never learns to stop: use a template that closes every assistant turn`,
      });
    }
  });
  return { text, spans, contentAt, findings };
}

/**
 * The prompt of the last message, read off the whole rendering: the text up to the message's
 * content, when the template's lead-in to a reply (the end of the user turn and the generation
 * prompt) sits right before it. Rendering the prompt with `add_generation_prompt` gives the same
 * text for such templates (a test compares the two over the whole catalog); undefined sends the
 * caller to that render.
 */
export function promptBeforeLastReply(template: ChatTemplate, text: string, contentAt: RenderedExample['contentAt'], index: number): string | undefined {
  const leadIn = template.replyLeadIn;
  const content = contentAt.find((c) => c.message === index);
  if (leadIn === undefined || !content || content.end !== text.length && !endsTurnAt(template, text, content.end)) return undefined;
  return text.startsWith(leadIn, content.start - leadIn.length) ? text.slice(0, content.start) : undefined;
}

/** Whether an end-of-turn marker (or only white space before one, or the end) follows `at`. */
function endsTurnAt(template: ChatTemplate, text: string, at: number): boolean {
  const rest = text.slice(at).trimStart();
  return rest.length === 0 || endOfTurnMarkers(template).some((marker) => rest.startsWith(marker));
}

/** Where each message's content sits in the rendered text, found in order. */
export function locateContents(messages: readonly ChatMessage[], text: string): RenderedExample['contentAt'] {
  const contentAt: RenderedExample['contentAt'] = [];
  let searchFrom = 0;
  messages.forEach((message, index) => {
    const at = message.content.length > 0 ? text.indexOf(message.content, searchFrom) : -1;
    if (at < 0) return;
    contentAt.push({ message: index, start: at, end: at + message.content.length });
    searchFrom = at + message.content.length;
  });
  return contentAt;
}

/** The start of the first later message's content after `from`: a turn cannot run past it. */
function nextContentStart(contentAt: RenderedExample['contentAt'], index: number, from: number): number | undefined {
  return contentAt.find((c) => c.message > index && c.start >= from)?.start;
}

/**
 * A turn rendered differently once later turns follow: say so only when what is trained differs
 * from what was written (reasoning dropped, or the reply's text changed), not for markup alone
 * (Qwen3 writes an empty think block only in the last turn).
 */
function reportRewrittenHistory(message: ChatMessage, trainedText: string, contentKept: boolean, findings: LineFinding[]): void {
  const reasoning = /<think>([\s\S]*?)<\/think>/.exec(message.content)?.[1]?.trim()
    ?? (typeof message.value['reasoning_content'] === 'string' ? message.value['reasoning_content'].trim() : '');
  if (reasoning && !trainedText.includes(reasoning)) {
    findings.push({
      code: 'template/reasoning-dropped', ...message.contentSpan,
      message: 'The template drops the <think> reasoning of this reply because later turns follow, so that reasoning is not trained; split the conversation into one example per reply to train it',
    });
  } else if (!contentKept) {
    findings.push({
      code: 'template/history-rewritten', ...message.contentSpan,
      message: 'The template renders this reply differently once later turns follow; what is trained is the later rendering, not the text written here',
    });
  }
}

/**
 * End-of-turn strings: the EOS token and the special tokens whose names say they end something
 * (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`, `<|end|>`, `</s>`). Start and header tokens are
 * excluded so that a reply is never extended into the next turn's header.
 */
const markerCache = new WeakMap<ChatTemplate, string[]>();

export function endOfTurnMarkers(template: ChatTemplate): string[] {
  const cached = markerCache.get(template);
  if (cached) return cached;
  const { bosToken, eosToken, specialTokens } = template.info;
  const markers = specialTokens.filter((t) => t !== bosToken && /end|eot|eom|<\/s>|eos/i.test(t) && !/header/i.test(t));
  // Granite's eos_token is also its bos_token; after a reply it can only be the end.
  if (eosToken) markers.unshift(eosToken);
  const unique = [...new Set(markers)];
  markerCache.set(template, unique);
  return unique;
}

function findFirst(text: string, needles: readonly string[], from: number, limit: number): { start: number; end: number } | undefined {
  let best: { start: number; end: number } | undefined;
  for (const needle of needles) {
    const at = text.indexOf(needle, from);
    if (at >= 0 && at + needle.length <= limit && (!best || at < best.start)) best = { start: at, end: at + needle.length };
  }
  return best;
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/** Marks each token that has any character inside a trained span. */
export function markTrainedTokens(encoded: EncodedText, spans: readonly TrainedSpan[]): Uint8Array {
  const trained = new Uint8Array(encoded.ids.length);
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let s = 0;
  for (let i = 0; i < encoded.ids.length; i++) {
    const start = encoded.offsets[2 * i]!;
    const end = Math.max(encoded.offsets[2 * i + 1]!, start + 1);
    while (s < sorted.length && sorted[s]!.end <= start) s++;
    const span = sorted[s];
    if (span && span.start < end && span.end > start && span.end > span.start) trained[i] = 1;
  }
  return trained;
}
