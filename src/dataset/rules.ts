/**
 * The rule catalog: every finding the checker can produce, with its stable code and default
 * severity. Codes are part of the CLI's contract (scripts filter on them, `sft-studio.json`
 * overrides them), so they are never renamed.
 */
import type { TextEdit } from './textEdits';

export type Severity = 'error' | 'warning' | 'info';

export const RULES = {
  // The file as a whole.
  'file/empty': { severity: 'error', summary: 'the file holds no example' },
  'file/binary': { severity: 'error', summary: 'the file is not a text file' },
  'encoding/bom': { severity: 'warning', summary: 'the file starts with a UTF-8 byte order mark' },
  // Bytes and JSON.
  'encoding/invalid-utf8': { severity: 'error', summary: 'the line is not valid UTF-8' },
  'line/blank': { severity: 'warning', summary: 'blank line' },
  'json/invalid': { severity: 'error', summary: 'the line is not valid JSON' },
  'json/too-deep': { severity: 'error', summary: 'JSON nested too deeply' },
  'json/duplicate-key': { severity: 'warning', summary: 'the same key twice in one object' },
  'json/not-object': { severity: 'error', summary: 'the line is not a JSON object' },
  // Record formats.
  'format/unknown': { severity: 'error', summary: 'the record matches no dataset format' },
  'format/convertible': { severity: 'warning', summary: 'ShareGPT or Alpaca record that trainers do not read directly' },
  'format/mixed': { severity: 'error', summary: 'several record formats in one file' },
  'record/unknown-key': { severity: 'info', summary: 'a key that trainers ignore' },
  'record/type': { severity: 'error', summary: 'a field of the wrong type' },
  'text/empty': { severity: 'error', summary: 'empty text' },
  'prompt/mismatch': { severity: 'error', summary: 'prompt and completion of different kinds' },
  // Messages.
  'messages/missing': { severity: 'error', summary: 'no messages' },
  'messages/not-array': { severity: 'error', summary: 'messages is not an array' },
  'messages/empty': { severity: 'error', summary: 'messages is empty' },
  'messages/no-assistant': { severity: 'error', summary: 'no assistant message to learn from' },
  'messages/last-not-assistant': { severity: 'warning', summary: 'trailing messages after the last assistant reply' },
  'messages/consecutive-role': { severity: 'warning', summary: 'the same role twice in a row' },
  'messages/system-not-first': { severity: 'warning', summary: 'a system message after the first position' },
  'messages/assistant-first': { severity: 'warning', summary: 'the conversation starts with an assistant reply' },
  'messages/tool-without-call': { severity: 'error', summary: 'a tool result with no tool call before it' },
  'message/not-object': { severity: 'error', summary: 'a message that is not an object' },
  'message/role-missing': { severity: 'error', summary: 'a message without a role' },
  'message/role-unknown': { severity: 'error', summary: 'a role trainers do not know' },
  'message/content-missing': { severity: 'error', summary: 'a message without content' },
  'message/content-empty': { severity: 'warning', summary: 'a user, system or untrained message with empty content' },
  'message/reply-empty': { severity: 'error', summary: 'a trained assistant reply with empty content and no tool calls' },
  'message/control-token': { severity: 'warning', summary: 'a special token written in prompt text' },
  'message/control-token-trained': { severity: 'error', summary: 'a special token written in a trained reply' },
  'message/unknown-key': { severity: 'warning', summary: 'a message key that trainers ignore' },
  'message/weight-invalid': { severity: 'error', summary: 'weight other than 0 or 1' },
  'message/tool-calls-invalid': { severity: 'error', summary: 'malformed tool_calls' },
  'duplicate/example': { severity: 'warning', summary: 'an exact duplicate of an earlier example' },
  // The chat template.
  'template/missing': { severity: 'warning', summary: 'the model has no chat template' },
  'template/raised': { severity: 'error', summary: 'the chat template raised an error' },
  'template/limit': { severity: 'error', summary: 'the chat template ran past its time or size limit' },
  'template/foreign-tokens': { severity: 'warning', summary: "special tokens of another model's template" },
  'template/reasoning-dropped': { severity: 'warning', summary: 'the template drops reasoning from earlier turns' },
  'template/history-rewritten': { severity: 'warning', summary: 'the template renders earlier turns differently later' },
  'template/eos-never-rendered': { severity: 'warning', summary: "generation would not stop on the template's end-of-turn token" },
  'template/tokenizer-mismatch': { severity: 'error', summary: "the template's markers are not tokens of the tokenizer" },
  'template/no-generation-prompt': { severity: 'warning', summary: 'the template cannot write a generation prompt, so the assistant header is trained' },
  'template/generation-prompt-always': { severity: 'info', summary: 'the template writes the assistant header after the last reply' },
  // The trained-token mask.
  'mask/empty': { severity: 'error', summary: 'no token of the example is trained' },
  'mask/eos-untrained': { severity: 'error', summary: 'the end-of-turn token after a reply is not trained' },
  // Tokens and length.
  'tokens/double-bos': { severity: 'warning', summary: 'text records that start with BOS, which the tokenizer adds again' },
  'length/truncated': { severity: 'warning', summary: 'longer than max_length: trained tokens are cut' },
  'length/truncated-all': { severity: 'error', summary: 'longer than max_length: every trained token is cut' },
  'length/over-max': { severity: 'info', summary: 'longer than max_length, only prompt tokens are cut' },
  // Configuration.
  'checks/skipped': { severity: 'info', summary: 'checks that need a template or tokenizer were skipped' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type RuleCode = keyof typeof RULES;

export function isRuleCode(code: string): code is RuleCode {
  return Object.prototype.hasOwnProperty.call(RULES, code);
}

/** What a rule override in `sft-studio.json` or `--ignore` can set. */
export type RuleSetting = Severity | 'off';

/** A replacement inside the finding's own line: UTF-16 columns, end exclusive. */
export type LineEdit = TextEdit;

/**
 * A fix a finding offers, as plain data so that the editor (code actions) and the command line
 * can both apply it: edits inside the line, the removal of the whole line, or a setting of the
 * project file (`sft-studio.json`).
 */
export type Fix =
  | { title: string; kind: 'edit-line'; edits: LineEdit[] }
  | { title: string; kind: 'delete-line' }
  | { title: string; kind: 'set-project'; key: 'template'; value: string };

/** A finding inside one line; the line number is added by whoever knows it. */
export interface LineFinding {
  code: RuleCode;
  message: string;
  /** UTF-16 columns within the line, 0-based, end exclusive. */
  start: number;
  end: number;
  /** Another place the finding refers to, such as the first copy of a duplicate. */
  related?: { line: number; message: string };
  /** Fixes, best first; the first one is the preferred quick fix. */
  fixes?: Fix[];
}

/** A finding with its place in the file and its effective severity. */
export interface Finding extends LineFinding {
  severity: Severity;
  /** 0-based line. File-level findings sit on line 0, columns 0..0. */
  line: number;
  scope?: 'file';
}

/** Applies severity overrides; returns undefined when the rule is switched off. */
export function resolveFinding(
  finding: LineFinding,
  line: number,
  overrides: Readonly<Record<string, RuleSetting>>,
  scope?: 'file',
): Finding | undefined {
  const setting = overrides[finding.code] ?? RULES[finding.code].severity;
  if (setting === 'off') return undefined;
  const resolved: Finding = { ...finding, severity: setting, line };
  if (scope) resolved.scope = scope;
  return resolved;
}
