/**
 * Rules for message lists: the shape of each message (role, content, weight, tool calls) and
 * the order of roles. Shared by `messages`, conversational prompt/completion and ShareGPT records,
 * which differ only in their key names (the dialect).
 */
import { describeKind, getMember, spanOf, toPlainValue, type JsonMember, type JsonNode, type JsonSpan } from '../json/parseJson';
import type { LineFinding } from '../rules';
import { didYouMean } from '../../common/didYouMean';

/** One chat message as the template will see it, with where it came from. */
export interface ChatMessage {
  role: string;
  /** Text content; '' when the message carries only tool calls. */
  content: string;
  /** The message as handed to the chat template: its keys, as plain values. */
  value: Record<string, unknown>;
  /** Whether the trainer learns from this message (assistant, weight not 0, in the completion). */
  trained: boolean;
  span: JsonSpan;
  roleSpan: JsonSpan;
  contentSpan: JsonSpan;
  /** The message calls tools (`tool_calls`, or ShareGPT's `function_call`), so tool results may follow. */
  callsTools?: boolean;
}

export interface MessageDialect {
  roleKey: string;
  contentKey: string;
  /** Maps the dialect's role names to chat roles (ShareGPT's `human` to `user`, ...). */
  roleAliases?: Readonly<Record<string, string>>;
}

export interface ConversationFindings {
  messages: ChatMessage[];
}

/** Roles that chat templates and trainers understand. `ipython` is Llama 3.1's tool-result role. */
export const KNOWN_ROLES: readonly string[] = ['system', 'developer', 'user', 'assistant', 'tool', 'ipython'];

/** How a Llama 3.1 reply calls a built-in tool (`<|python_tag|>brave_search.call(...)`): a control token the reply really starts with. */
export const BUILT_IN_TOOL_CALL = '<|python_tag|>';

const KNOWN_MESSAGE_KEYS = new Set(['name', 'tool_calls', 'tool_call_id', 'weight', 'reasoning_content', 'thinking']);

function readList(
  member: JsonMember,
  dialect: MessageDialect,
  findings: LineFinding[],
  options: { requireAssistant: boolean; trainAssistant: boolean },
): ConversationFindings | undefined {
  const list = member.value;
  if (list.kind !== 'array') {
    findings.push({ code: 'messages/not-array', ...spanOf(list), message: `"${member.key}" must be an array of messages, not ${describeKind(list)}` });
    return undefined;
  }
  if (list.items.length === 0) {
    findings.push({ code: 'messages/empty', ...spanOf(list), message: `"${member.key}" is empty: add at least a user message and an assistant reply` });
    return undefined;
  }
  const messages: ChatMessage[] = [];
  let broken = false;
  for (const item of list.items) {
    const message = readMessage(item, dialect, findings, options.trainAssistant);
    if (message) messages.push(message);
    else broken = true;
  }
  if (broken) return undefined;
  if (options.requireAssistant && !messages.some((m) => m.role === 'assistant')) {
    findings.push({
      code: 'messages/no-assistant', start: member.keySpan.start, end: member.keySpan.end,
      message: `"${member.key}" has no assistant message, so there is nothing to learn: add the reply the model should give`,
    });
  }
  return { messages };
}

function readMessage(item: JsonNode, dialect: MessageDialect, findings: LineFinding[], trainAssistant: boolean): ChatMessage | undefined {
  if (item.kind !== 'object') {
    findings.push({ code: 'message/not-object', ...spanOf(item), message: `A message must be an object with "${dialect.roleKey}" and "${dialect.contentKey}", not ${describeKind(item)}` });
    return undefined;
  }
  let ok = true;
  const roleMember = getMember(item, dialect.roleKey);
  let role = '';
  let written = '';
  if (!roleMember) {
    findings.push({ code: 'message/role-missing', ...spanOf(item), message: `This message has no "${dialect.roleKey}": add one of ${roleChoices(dialect)}` });
    ok = false;
  } else if (roleMember.value.kind !== 'string') {
    findings.push({ code: 'record/type', ...spanOf(roleMember.value), message: `"${dialect.roleKey}" must be a string such as "user", not ${describeKind(roleMember.value)}` });
    ok = false;
  } else {
    written = roleMember.value.value;
    role = dialect.roleAliases ? dialect.roleAliases[written] ?? '' : written;
    if (!role || !KNOWN_ROLES.includes(role)) {
      const hint = suggestRole(written, dialect);
      const advice = hint ? `did you mean ${JSON.stringify(hint)}?` : `use one of ${roleChoices(dialect)}`;
      const span = spanOf(roleMember.value);
      const finding: LineFinding = { code: 'message/role-unknown', ...span, message: `Unknown role ${JSON.stringify(written)}: ${advice}` };
      if (hint) finding.fixes = [{ title: `Change the role to ${JSON.stringify(hint)}`, kind: 'edit-line', edits: [{ ...span, newText: JSON.stringify(hint) }] }];
      findings.push(finding);
      ok = false;
    }
  }

  const toolCalls = getMember(item, 'tool_calls');
  const hasToolCalls = toolCalls !== undefined && toolCalls.value.kind === 'array' && toolCalls.value.items.length > 0;
  if (toolCalls && !checkToolCalls(toolCalls, findings)) ok = false;

  let trained = trainAssistant && role === 'assistant';
  const weight = getMember(item, 'weight');
  if (weight) {
    if (weight.value.kind !== 'number' || (weight.value.value !== 0 && weight.value.value !== 1)) {
      findings.push({ code: 'message/weight-invalid', ...spanOf(weight.value), message: '"weight" must be 0 (do not train this message) or 1 (train it)' });
      ok = false;
    } else if (weight.value.value === 0) {
      trained = false;
    }
  }

  const contentMember = getMember(item, dialect.contentKey);
  let content = '';
  if (!contentMember || contentMember.value.kind === 'null') {
    if (!hasToolCalls) {
      const where = contentMember ? spanOf(contentMember.value) : spanOf(item);
      findings.push({ code: 'message/content-missing', ...where, message: `This message has no "${dialect.contentKey}": add the message text (only assistant messages with tool_calls may omit it)` });
      ok = false;
    }
  } else if (contentMember.value.kind !== 'string') {
    const hint = contentMember.value.kind === 'array' ? ' (content parts for images or audio are not supported for text models)' : '';
    findings.push({ code: 'record/type', ...spanOf(contentMember.value), message: `"${dialect.contentKey}" must be a string, not ${describeKind(contentMember.value)}${hint}` });
    ok = false;
  } else {
    content = contentMember.value.value;
    if (content.trim().length === 0 && !hasToolCalls) findings.push(emptyContentFinding(spanOf(contentMember.value), role, trained));
  }

  for (const member of item.members) {
    if (member.key !== dialect.roleKey && member.key !== dialect.contentKey && !KNOWN_MESSAGE_KEYS.has(member.key)) {
      findings.push({
        code: 'message/unknown-key', start: member.keySpan.start, end: member.keySpan.end,
        message: `Message key ${JSON.stringify(member.key)} is not used by chat templates; it is ignored (expected ${dialect.roleKey}, ${dialect.contentKey}, tool_calls, tool_call_id, name, weight)`,
      });
    }
  }
  if (!ok) return undefined;

  const value = dialect.roleAliases
    ? { role, content }
    : { ...(toPlainValue(item) as Record<string, unknown>), role };
  const contentSpan = contentMember ? spanOf(contentMember.value) : spanOf(item);
  const message: ChatMessage = { role, content, value, trained, span: spanOf(item), roleSpan: spanOf(roleMember!.value), contentSpan };
  // ShareGPT writes a tool call as a message of its own, from "function_call"; Llama 3.1 calls its
  // built-in tools with a reply that starts with <|python_tag|>.
  if (hasToolCalls || written === 'function_call' || (role === 'assistant' && content.startsWith(BUILT_IN_TOOL_CALL))) message.callsTools = true;
  return message;
}

/** Tool calls in the OpenAI / TRL shape: [{"type": "function", "function": {"name", "arguments"}}]. */
function checkToolCalls(member: JsonMember, findings: LineFinding[]): boolean {
  const fail = (node: JsonNode, why: string): false => {
    findings.push({ code: 'message/tool-calls-invalid', ...spanOf(node), message: `${why}; expected [{"type": "function", "function": {"name": ..., "arguments": {...}}}]` });
    return false;
  };
  if (member.value.kind === 'null') return true;
  if (member.value.kind !== 'array') return fail(member.value, '"tool_calls" must be an array');
  for (const call of member.value.items) {
    if (call.kind !== 'object') return fail(call, 'Each tool call must be an object');
    const fn = getMember(call, 'function');
    if (!fn || fn.value.kind !== 'object') return fail(call, 'A tool call needs a "function" object');
    const name = getMember(fn.value, 'name');
    if (!name || name.value.kind !== 'string' || name.value.value.length === 0) return fail(fn.value, 'A tool call\'s function needs a "name"');
    const args = getMember(fn.value, 'arguments');
    if (args && args.value.kind !== 'object' && args.value.kind !== 'string') {
      return fail(args.value, '"arguments" must be an object or a JSON string');
    }
  }
  return true;
}

/**
 * An empty reply that is trained teaches the model to end its turn at once: an error. Empty text
 * elsewhere only wastes a turn.
 */
export function emptyContentFinding(span: { start: number; end: number }, role: string, trained: boolean): LineFinding {
  if (trained && role === 'assistant') {
    return { code: 'message/reply-empty', ...span, message: 'Empty assistant reply: it is trained, so the model learns to end its turn at once; write the reply, or set "weight": 0 to leave it untrained' };
  }
  return { code: 'message/content-empty', ...span, message: `Empty ${role || 'message'} content: write the text, or remove the message` };
}

/**
 * Order rules over a whole conversation, whatever the chat template accepts: many templates
 * render an assistant-first conversation or a stray tool result without complaint.
 */
function checkSequence(messages: readonly ChatMessage[], findings: LineFinding[]): void {
  const first = messages.find((m) => m.role !== 'system' && m.role !== 'developer');
  if (first?.role === 'assistant') {
    findings.push({
      code: 'messages/assistant-first', ...first.roleSpan,
      message: 'The conversation starts with an assistant reply, which answers no prompt: add the user message it replies to (several chat templates refuse this shape)',
    });
  }
  let callsPending = false;
  messages.forEach((message, index) => {
    if (message.role === 'assistant') callsPending = message.callsTools === true;
    else if ((message.role === 'tool' || message.role === 'ipython') && !callsPending) {
      findings.push({
        code: 'messages/tool-without-call', ...message.roleSpan,
        message: `A ${message.role} result with no assistant "tool_calls" before it: add the assistant message that calls the tool, or remove this result`,
      });
    } else if (message.role !== 'tool' && message.role !== 'ipython') callsPending = false;
    if (message.role === 'system' && index > 0) {
      findings.push({ code: 'messages/system-not-first', ...message.roleSpan, message: 'A system message after the first message: most chat templates accept the system prompt only first' });
    }
    const previous = messages[index - 1];
    if (previous && previous.role === message.role && message.role !== 'tool' && message.role !== 'system') {
      findings.push({
        code: 'messages/consecutive-role', ...message.roleSpan,
        message: `Two ${message.role} messages in a row: merge them, or add the missing ${message.role === 'user' ? 'assistant' : 'user'} turn between them (many templates require alternation)`,
      });
    }
  });
  const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');
  if (lastAssistant >= 0 && lastAssistant < messages.length - 1) {
    const trailing = messages[lastAssistant + 1]!;
    const last = messages[messages.length - 1]!;
    findings.push({
      code: 'messages/last-not-assistant', start: trailing.span.start, end: last.span.end,
      message: 'The conversation ends after the last assistant reply: the trailing messages teach nothing; remove them or add the reply',
    });
  }
}

/**
 * Role names of other formats that mean a chat role: ShareGPT's `human` and `gpt`, Gemma's
 * `model`. They are what people most often write into a `messages` record by mistake.
 */
const ROLE_SYNONYMS: Readonly<Record<string, string>> = {
  human: 'user', gpt: 'assistant', bot: 'assistant', model: 'assistant', ai: 'assistant', chatgpt: 'assistant', function_call: 'assistant', observation: 'tool', function: 'tool',
};

/** The role the writer most likely meant: a synonym from another format, else the nearest known name. */
function suggestRole(written: string, dialect: MessageDialect): string | undefined {
  if (dialect.roleAliases) return didYouMean(written, Object.keys(dialect.roleAliases));
  return ROLE_SYNONYMS[written.toLowerCase()] ?? didYouMean(written, KNOWN_ROLES);
}

function roleChoices(dialect: MessageDialect): string {
  const names = dialect.roleAliases ? Object.keys(dialect.roleAliases) : KNOWN_ROLES;
  return names.map((r) => JSON.stringify(r)).join(', ');
}

export const messageRules = { readList, checkSequence };
