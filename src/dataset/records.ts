/**
 * Interprets one parsed JSON line as a dataset record, in the formats TRL reads (conversational
 * `messages`, `prompt`/`completion`, plain `text`) and the two popular formats that must be
 * converted first (ShareGPT `conversations`, Alpaca `instruction`/`output`), reporting every
 * structural problem on the exact key or value that causes it.
 */
import { describeKind, getMember, spanOf, toPlainValue, type JsonMember, type JsonNode, type JsonSpan } from './json/parseJson';
import type { LineFinding } from './rules';
import { emptyContentFinding, messageRules, type ChatMessage, type MessageDialect } from './checks/messageRules';

export type { ChatMessage } from './checks/messageRules';

export type RecordFormat = 'messages' | 'prompt-completion' | 'text' | 'sharegpt' | 'alpaca';

/** A record that is well-formed enough to render and tokenize. */
export type DatasetRecord =
  | { format: 'messages' | 'prompt-completion' | 'sharegpt' | 'alpaca'; kind: 'chat'; messages: ChatMessage[]; tools?: unknown[] }
  | { format: 'prompt-completion'; kind: 'completion'; prompt: string; completion: string; completionSpan: JsonSpan }
  | { format: 'text'; kind: 'text'; text: string; textSpan: JsonSpan };

export interface InterpretedLine {
  /** Undefined when the format could not be told at all. */
  format?: RecordFormat;
  /** Undefined when structural errors make the record unusable for template checks. */
  record?: DatasetRecord;
  findings: LineFinding[];
}

const TRL_DIALECT: MessageDialect = { roleKey: 'role', contentKey: 'content' };
const SHAREGPT_DIALECT: MessageDialect = {
  roleKey: 'from',
  contentKey: 'value',
  roleAliases: { human: 'user', gpt: 'assistant', system: 'system', function_call: 'assistant', observation: 'tool', tool: 'tool' },
};

const RECORD_KEYS: Record<RecordFormat, readonly string[]> = {
  messages: ['messages', 'tools'],
  'prompt-completion': ['prompt', 'completion', 'tools'],
  text: ['text'],
  sharegpt: ['conversations', 'tools', 'system'],
  alpaca: ['instruction', 'input', 'output', 'system', 'history'],
};

/** Interprets the JSON value of one line. */
export function interpretRecord(root: JsonNode): InterpretedLine {
  if (root.kind !== 'object') {
    return {
      findings: [{
        code: 'json/not-object', start: root.start, end: root.end,
        message: `Each line must be a JSON object such as {"messages": [...]}, but this line is ${describeKind(root)}`,
      }],
    };
  }
  const format = detectFormat(root);
  if (!format) {
    const keys = root.members.map((m) => JSON.stringify(m.key)).slice(0, 5).join(', ');
    return {
      findings: [{
        code: 'format/unknown', start: root.start, end: root.end,
        message: `No known record format${keys ? ` (keys: ${keys})` : ''}: use {"messages": [...]}, {"prompt": ..., "completion": ...} or {"text": ...}`,
      }],
    };
  }
  const findings: LineFinding[] = [];
  for (const member of root.members) {
    if (!RECORD_KEYS[format].includes(member.key)) {
      findings.push({
        code: 'record/unknown-key', start: member.keySpan.start, end: member.keySpan.end,
        message: `Key ${JSON.stringify(member.key)} is not part of the ${format} format; trainers ignore it`,
      });
    }
  }
  const record = INTERPRETERS[format](root, findings);
  return record ? { format, record, findings } : { format, findings };
}

function detectFormat(root: Extract<JsonNode, { kind: 'object' }>): RecordFormat | undefined {
  const has = (key: string): boolean => getMember(root, key) !== undefined;
  if (has('messages')) return 'messages';
  if (has('conversations')) return 'sharegpt';
  if (has('prompt') || has('completion')) return 'prompt-completion';
  if (has('text')) return 'text';
  if (has('instruction') && has('output')) return 'alpaca';
  return undefined;
}

type Interpreter = (root: Extract<JsonNode, { kind: 'object' }>, findings: LineFinding[]) => DatasetRecord | undefined;

const INTERPRETERS: Record<RecordFormat, Interpreter> = {
  messages(root, findings) {
    const member = getMember(root, 'messages')!;
    const tools = readTools(root, findings);
    const result = messageRules.readList(member, TRL_DIALECT, findings, { requireAssistant: true, trainAssistant: true });
    if (result) messageRules.checkSequence(result.messages, findings);
    return result && { format: 'messages', kind: 'chat', messages: result.messages, ...(tools ? { tools } : {}) };
  },
  sharegpt(root, findings) {
    const member = getMember(root, 'conversations')!;
    findings.push(convertibleFinding(member, 'ShareGPT record ("conversations" with "from"/"value")'));
    const tools = readTools(root, findings);
    const result = messageRules.readList(member, SHAREGPT_DIALECT, findings, { requireAssistant: true, trainAssistant: true });
    const system = getMember(root, 'system');
    if (result && system?.value.kind === 'string' && system.value.value.length > 0) {
      result.messages.unshift(plainMessage('system', system.value.value, system, false));
    }
    if (result) messageRules.checkSequence(result.messages, findings);
    return result && { format: 'sharegpt', kind: 'chat', messages: result.messages, ...(tools ? { tools } : {}) };
  },
  alpaca(root, findings) {
    findings.push(convertibleFinding(getMember(root, 'instruction')!, 'Alpaca record ("instruction"/"input"/"output")'));
    return readAlpaca(root, findings);
  },
  'prompt-completion'(root, findings) {
    const prompt = getMember(root, 'prompt');
    const completion = getMember(root, 'completion');
    if (!prompt || !completion) {
      const present = (prompt ?? completion)!;
      findings.push({
        code: 'record/type', start: present.keySpan.start, end: present.keySpan.end,
        message: `"${present.key}" needs a matching "${prompt ? 'completion' : 'prompt'}" in the same record`,
      });
      return undefined;
    }
    if (prompt.value.kind === 'string' && completion.value.kind === 'string') {
      if (completion.value.value.length === 0) {
        findings.push({ code: 'text/empty', ...spanOf(completion.value), message: 'The completion is empty: there is nothing to learn' });
      }
      return { format: 'prompt-completion', kind: 'completion', prompt: prompt.value.value, completion: completion.value.value, completionSpan: spanOf(completion.value) };
    }
    if (prompt.value.kind === 'array' && completion.value.kind === 'array') {
      const tools = readTools(root, findings);
      const promptPart = messageRules.readList(prompt, TRL_DIALECT, findings, { requireAssistant: false, trainAssistant: false });
      const completionPart = messageRules.readList(completion, TRL_DIALECT, findings, { requireAssistant: true, trainAssistant: true });
      if (!promptPart || !completionPart) return undefined;
      const messages = [...promptPart.messages, ...completionPart.messages];
      messageRules.checkSequence(messages, findings);
      return { format: 'prompt-completion', kind: 'chat', messages, ...(tools ? { tools } : {}) };
    }
    findings.push({
      code: 'prompt/mismatch', start: prompt.keySpan.start, end: completion.value.end,
      message: `"prompt" is ${describeKind(prompt.value)} and "completion" is ${describeKind(completion.value)}: both must be strings, or both message lists`,
    });
    return undefined;
  },
  text(root, findings) {
    const text = getMember(root, 'text')!;
    if (text.value.kind !== 'string') {
      findings.push({ code: 'record/type', ...spanOf(text.value), message: `"text" must be a string, not ${describeKind(text.value)}` });
      return undefined;
    }
    if (text.value.value.trim().length === 0) {
      findings.push({ code: 'text/empty', ...spanOf(text.value), message: '"text" is empty: there is nothing to learn' });
    }
    return { format: 'text', kind: 'text', text: text.value.value, textSpan: spanOf(text.value) };
  },
};

function convertibleFinding(key: JsonMember, what: string): LineFinding {
  return {
    code: 'format/convertible', start: key.keySpan.start, end: key.keySpan.end,
    message: `${what}: trainers expect "messages"; rewrite the file with \`sft-studio convert FILE --out NEW\``,
  };
}

function readTools(root: Extract<JsonNode, { kind: 'object' }>, findings: LineFinding[]): unknown[] | undefined {
  const tools = getMember(root, 'tools');
  if (!tools || tools.value.kind === 'null') return undefined;
  if (tools.value.kind !== 'array') {
    findings.push({ code: 'record/type', ...spanOf(tools.value), message: `"tools" must be an array of tool definitions, not ${describeKind(tools.value)}` });
    return undefined;
  }
  return toPlainValue(tools.value) as unknown[];
}

function readAlpaca(root: Extract<JsonNode, { kind: 'object' }>, findings: LineFinding[]): DatasetRecord | undefined {
  const field = (key: string): (JsonMember & { value: { kind: 'string'; value: string } }) | undefined => {
    const member = getMember(root, key);
    if (!member || member.value.kind === 'null') return undefined;
    if (member.value.kind !== 'string') {
      findings.push({ code: 'record/type', ...spanOf(member.value), message: `"${key}" must be a string, not ${describeKind(member.value)}` });
      return undefined;
    }
    return member as JsonMember & { value: { kind: 'string'; value: string } };
  };
  const instruction = field('instruction');
  const input = field('input');
  const output = field('output');
  const system = field('system');
  if (!instruction || !output) return undefined;
  const userText = input && input.value.value.length > 0 ? `${instruction.value.value}\n\n${input.value.value}` : instruction.value.value;
  const messages = [
    ...(system ? [plainMessage('system', system.value.value, system, false)] : []),
    ...readAlpacaHistory(getMember(root, 'history'), findings),
    plainMessage('user', userText, instruction, false),
    plainMessage('assistant', output.value.value, output, true),
  ];
  if (output.value.value.trim().length === 0) findings.push(emptyContentFinding(spanOf(output.value), 'assistant', true));
  return { format: 'alpaca', kind: 'chat', messages };
}

/** A message synthesised from one field of a record (Alpaca, ShareGPT's system), pointing at it. */
function plainMessage(role: string, content: string, member: JsonMember, trained: boolean): ChatMessage {
  return { role, content, value: { role, content }, trained, span: spanOf(member.value), roleSpan: member.keySpan, contentSpan: spanOf(member.value) };
}

/** Alpaca's optional `history`: earlier [instruction, response] pairs, trained as in LLaMA-Factory. */
function readAlpacaHistory(history: JsonMember | undefined, findings: LineFinding[]): ChatMessage[] {
  if (!history || history.value.kind === 'null') return [];
  const pairs = history.value.kind === 'array' ? history.value.items : [];
  const valid = history.value.kind === 'array' && pairs.every((p) => p.kind === 'array' && p.items.length === 2 && p.items.every((x) => x.kind === 'string'));
  if (!valid) {
    findings.push({ code: 'record/type', ...spanOf(history.value), message: '"history" must be a list of ["instruction", "response"] string pairs' });
    return [];
  }
  return pairs.flatMap((pair) => {
    const [question, answer] = (pair as Extract<JsonNode, { kind: 'array' }>).items as Array<Extract<JsonNode, { kind: 'string' }>>;
    const at = (node: Extract<JsonNode, { kind: 'string' }>): JsonMember => ({ key: history.key, keySpan: spanOf(node), value: node });
    return [plainMessage('user', question!.value, at(question!), false), plainMessage('assistant', answer!.value, at(answer!), true)];
  });
}
