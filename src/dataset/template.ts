/**
 * Chat templates, rendered with `@huggingface/jinja` exactly as `transformers` renders them,
 * under time and size bounds so that a template that loops or grows without end is reported
 * instead of hanging the editor or the CLI.
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { errorMessage } from '../common/errors';

type Statement = Parameters<Interpreter['evaluate']>[0];
type RuntimeValue = ReturnType<Interpreter['evaluate']>;

/** Where a template came from and the special tokens it is rendered with. */
export interface TemplateInfo {
  /** Catalog name, or where the template was read from. */
  name: string;
  source: string;
  bosToken?: string;
  eosToken?: string;
  /**
   * Special-token strings of this template's model (from the tokenizer, or from the catalog).
   * Used to find the end-of-turn text after each reply and to spot other models' tokens.
   */
  specialTokens: readonly string[];
}

export interface RenderLimits {
  /** Wall-clock budget for one render. */
  timeMs: number;
  /** Largest rendered text, in UTF-16 code units. */
  maxChars: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { timeMs: 2000, maxChars: 4_000_000 };

export interface RenderContext {
  messages: readonly Record<string, unknown>[];
  tools?: readonly unknown[];
  add_generation_prompt: boolean;
}

export type RenderResult =
  | { ok: true; text: string }
  | { ok: false; kind: 'raised' | 'limit'; message: string };

class TemplateLimitError extends Error {}

/** Counts evaluation steps and output size; throws once a render passes its limits. */
class BoundedInterpreter extends Interpreter {
  private steps = 0;

  constructor(env: Environment, private readonly deadline: number, private readonly limits: RenderLimits) {
    super(env);
  }

  override evaluate(statement: Statement, environment: Environment): RuntimeValue {
    if ((++this.steps & 1023) === 0 && Date.now() > this.deadline) {
      throw new TemplateLimitError(`rendering took longer than ${this.limits.timeMs} ms`);
    }
    const value = super.evaluate(statement, environment);
    if (typeof value.value === 'string' && value.value.length > this.limits.maxChars) {
      throw new TemplateLimitError(`rendered text grew past ${this.limits.maxChars.toLocaleString('en-US')} characters`);
    }
    return value;
  }
}

/**
 * A conversation converted once into the template engine's values, so that rendering it prefix
 * by prefix (which the trained-token mask needs) does not convert every message again.
 */
export interface PreparedConversation {
  readonly messages: RuntimeValue;
  readonly tools?: RuntimeValue;
  readonly length: number;
}

/** A compiled chat template; compile once, render many times. */
export class ChatTemplate {
  /** Globals and special tokens, shared by every render as the parent scope. */
  private readonly globals: Environment;

  private constructor(
    readonly info: TemplateInfo,
    private readonly program: Template['parsed'],
    private readonly limits: RenderLimits,
  ) {
    this.globals = new Environment();
    setupGlobals(this.globals, limits);
    this.globals.set('bos_token', info.bosToken ?? '');
    this.globals.set('eos_token', info.eosToken ?? '');
  }

  /** Parses the template; a syntax error comes back as a message, not an exception. */
  static compile(info: TemplateInfo, limits: RenderLimits = DEFAULT_RENDER_LIMITS): ChatTemplate | { error: string } {
    try {
      return new ChatTemplate(info, new Template(info.source).parsed, limits);
    } catch (error) {
      return { error: `The chat template "${info.name}" does not parse: ${errorMessage(error)}` };
    }
  }

  private replyLeadInCache: string | null | undefined;

  /**
   * The text between a user message and the reply that follows it, when rendering the prompt with
   * `add_generation_prompt` ends exactly there: for Llama 3,
   * `<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`. Found once by rendering a
   * two-message conversation; undefined when the template does not work this way.
   */
  get replyLeadIn(): string | undefined {
    if (this.replyLeadInCache === undefined) {
      const user = 'Probe question 7Q';
      const reply = 'Probe reply 7R';
      const conversation = this.prepare([{ role: 'user', content: user }, { role: 'assistant', content: reply }]);
      const prompt = this.renderPrefix(conversation, 1, true);
      const whole = this.renderPrefix(conversation, 2, false);
      const userEnd = prompt.ok ? prompt.text.indexOf(user) + user.length : -1;
      const works = prompt.ok && whole.ok && userEnd >= user.length && whole.text.startsWith(prompt.text) && whole.text.startsWith(reply, prompt.text.length);
      const leadIn = works ? prompt.text.slice(userEnd) : '';
      this.replyLeadInCache = leadIn.trim().length > 0 ? leadIn : null;
    }
    return this.replyLeadInCache ?? undefined;
  }

  prepare(messages: readonly Record<string, unknown>[], tools?: readonly unknown[]): PreparedConversation {
    const scratch = new Environment();
    const prepared: { messages: RuntimeValue; tools?: RuntimeValue; length: number } = { messages: scratch.set('messages', messages), length: messages.length };
    if (tools) prepared.tools = scratch.set('tools', tools);
    return prepared;
  }

  render(context: RenderContext): RenderResult {
    const prepared = this.prepare(context.messages, context.tools);
    return this.renderPrefix(prepared, prepared.length, context.add_generation_prompt);
  }

  /** Renders the first `count` messages of a prepared conversation. */
  renderPrefix(conversation: PreparedConversation, count: number, addGenerationPrompt: boolean): RenderResult {
    const deadline = Date.now() + this.limits.timeMs;
    const env = new Environment(this.globals);
    const all = conversation.messages;
    // A prefix is a new array value over the same converted messages (ArrayValue is not exported).
    const ArrayOfValues = all.constructor as new (items: RuntimeValue[]) => RuntimeValue;
    env.setVariable('messages', count === conversation.length ? all : new ArrayOfValues((all.value as RuntimeValue[]).slice(0, count)));
    if (conversation.tools) env.setVariable('tools', conversation.tools);
    env.set('add_generation_prompt', addGenerationPrompt);
    try {
      const result = new BoundedInterpreter(env, deadline, this.limits).run(this.program);
      return { ok: true, text: String(result.value) };
    } catch (error) {
      if (error instanceof TemplateLimitError) return { ok: false, kind: 'limit', message: error.message };
      if (error instanceof RangeError) return { ok: false, kind: 'limit', message: error.message };
      return { ok: false, kind: 'raised', message: errorMessage(error) };
    }
  }
}

/** The globals `transformers` gives chat templates; `range` is bounded so it cannot exhaust memory. */
function setupGlobals(env: Environment, limits: RenderLimits): void {
  env.set('false', false);
  env.set('true', true);
  env.set('none', null);
  env.set('False', false);
  env.set('True', true);
  env.set('None', null);
  env.set('raise_exception', (message: unknown) => {
    throw new Error(String(message));
  });
  env.set('range', (start: number, stop?: number, step = 1) => boundedRange(start, stop, step, limits.maxChars));
  env.set('strftime_now', (format: string) => strftime(new Date(), format));
}

function boundedRange(start: number, stop: number | undefined, step: number, maxLength: number): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > maxLength) throw new TemplateLimitError(`range() of ${length.toLocaleString('en-US')} items is past the render limit`);
  return Array.from({ length }, (_, i) => start + i * step);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The subset of Python's strftime that chat templates use (Llama 3.2's "%d %b %Y"). */
export function strftime(date: Date, format: string): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return format.replace(/%([dbBmYyHMSaAj%])/g, (_, code: string) => {
    switch (code) {
      case 'd': return pad(date.getDate());
      case 'b': return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B': return MONTHS[date.getMonth()]!;
      case 'm': return pad(date.getMonth() + 1);
      case 'Y': return String(date.getFullYear());
      case 'y': return pad(date.getFullYear() % 100);
      case 'H': return pad(date.getHours());
      case 'M': return pad(date.getMinutes());
      case 'S': return pad(date.getSeconds());
      case 'a': return DAYS[date.getDay()]!.slice(0, 3);
      case 'A': return DAYS[date.getDay()]!;
      case 'j': return String(Math.floor((date.getTime() - new Date(date.getFullYear(), 0, 1).getTime()) / 86_400_000) + 1).padStart(3, '0');
      default: return '%';
    }
  });
}
