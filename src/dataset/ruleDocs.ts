/**
 * The explanation of every rule, shipped with the extension as `docs/rules.md` (a diagnostic's
 * code links to its section) and printed by `sft-studio rules --format markdown`. A test keeps the
 * document equal to what this module writes.
 */
import { RULES, type RuleCode } from './rules';

/** Why each finding matters for training, and what to do about it. */
const RULE_ADVICE: Record<RuleCode, string> = {
  'file/empty': 'A dataset with no example trains nothing, and trainers stop with an error. Add examples, one JSON object per line.',
  'file/binary': 'The file holds bytes that text never does (NUL). It is probably not the dataset you meant: check the file name, or export the data again as UTF-8 JSON lines.',
  'encoding/bom': 'A byte order mark is invisible, and some JSON readers fail on it at the start of line 1. Save the file as UTF-8 without BOM.',
  'encoding/invalid-utf8': 'Bytes that are not UTF-8 are replaced or rejected by readers, so the text that trains is not the text you wrote. Re-export the data as UTF-8.',
  'line/blank': 'Every line of a JSON Lines file must hold one example; many readers fail on an empty line. Delete it (quick fix).',
  'json/invalid': 'The line is not valid JSON, so no trainer can read it. The finding points at the first character that cannot be parsed.',
  'json/too-deep': 'The line nests arrays or objects deeper than any dataset needs; it is refused rather than parsed.',
  'json/duplicate-key': 'JSON readers keep only the last value of a key written twice, so the first one is silently lost. Keep one.',
  'json/not-object': 'Each line must be a JSON object such as {"messages": [...]}; an array, string or number is not an example.',
  'format/unknown': 'The record has none of the keys trainers look for: "messages", "prompt" and "completion", or "text". Rename the keys, or convert the record.',
  'format/convertible': 'ShareGPT ("conversations") and Alpaca ("instruction"/"output") records are not read by TRL directly. Convert the line or the whole file to "messages" (quick fix, or `sft-studio convert`).',
  'format/mixed': 'One file holds several record formats; trainers read one format per dataset and fail or drop the rest. The finding names the minority lines: convert them.',
  'record/unknown-key': 'A top-level key that trainers ignore. It is harmless, but a misspelled "messages" would land here too.',
  'record/type': 'A field holds the wrong kind of value (a number where text is expected, content parts for a text model). Write the value the message names.',
  'text/empty': 'An empty text or completion has nothing to learn. Write it, or remove the line.',
  'prompt/mismatch': 'A prompt and a completion must be both strings or both message lists; trainers cannot join one of each.',
  'messages/missing': 'A conversational record needs "messages": a list of {"role", "content"} objects.',
  'messages/not-array': '"messages" must be a JSON array of message objects.',
  'messages/empty': 'An empty conversation trains nothing. Add at least a user message and an assistant reply.',
  'messages/no-assistant': 'Only assistant messages are trained, so a conversation without one teaches nothing. Add the reply the model should give.',
  'messages/last-not-assistant': 'Messages after the last assistant reply are never trained and never answered. Remove them, or add the reply.',
  'messages/consecutive-role': 'Two messages of one role in a row: many chat templates raise an error, and the others run them together. Merge them (quick fix) or add the missing turn.',
  'messages/system-not-first': 'Most chat templates accept a system prompt only at the start. Move it first (quick fix).',
  'messages/assistant-first': 'A reply that answers no prompt teaches the model to speak unprompted, and several templates refuse it. Add the user message it answers.',
  'messages/tool-without-call': 'A tool result must follow the assistant message whose "tool_calls" asked for it. Add that message, or remove the result.',
  'message/not-object': 'Each message must be an object with "role" and "content".',
  'message/role-missing': 'A message without a role cannot be rendered by a chat template. Add "role": "user", "assistant", "system" or "tool".',
  'message/role-unknown': 'Chat templates know system, user, assistant and tool (ipython in Llama 3.1). Other formats\' names (human, gpt, model) and typos are fixed by the quick fix.',
  'message/content-missing': 'Only an assistant message with tool_calls may omit its content. Add the text.',
  'message/content-empty': 'An empty prompt or system message wastes a turn. Write the text, or remove the message.',
  'message/reply-empty': 'An empty trained reply teaches the model to end its turn at once. Write the reply, or set "weight": 0 to keep it untrained.',
  'message/control-token': 'A special token written as text in a prompt is encoded as the token itself, which lets the data fake turn boundaries. Remove it, or write the word differently.',
  'message/control-token-trained': 'A special token inside a trained reply teaches the model to emit it mid-reply (an early end of turn, a fake header). Remove it.',
  'message/unknown-key': 'A message key that chat templates do not read; it is ignored. Check its spelling.',
  'message/weight-invalid': '"weight" is 0 (keep the message as context) or 1 (train it), as in OpenAI\'s fine-tuning format.',
  'message/tool-calls-invalid': 'Tool calls must have the OpenAI shape: [{"type": "function", "function": {"name": ..., "arguments": {...}}}].',
  'duplicate/example': 'An exact copy of an earlier line over-weights that example. Delete the copy (quick fix).',
  'template/missing': 'Without a chat template, conversations cannot be rendered as the model will see them. Set "template" or "model" in sft-studio.json (the status bar\'s model picker does it).',
  'template/raised': 'The model\'s chat template refused this conversation (strict alternation, no system role...), so training would fail on it. The message quotes the template\'s own error.',
  'template/limit': 'The chat template ran too long or wrote too much text for this example; it is stopped rather than left to hang.',
  'template/foreign-tokens': 'The text holds special tokens of another model family\'s template: they are trained as plain characters. Use that family\'s template (quick fix), or rewrite the text for this model.',
  'template/reasoning-dropped': 'The template drops the reasoning of earlier turns, so it is never trained there. Split multi-turn reasoning examples, or accept that only the last turn\'s reasoning trains.',
  'template/history-rewritten': 'The template renders earlier turns differently once later turns follow, so what trains differs from what was written.',
  'template/eos-never-rendered': 'Generation stops on the ids in generation_config.json; when the template ends turns with another token, the trained model will not stop. The message gives the eos_token_id to set.',
  'template/tokenizer-mismatch': 'The template\'s markers are split into several ordinary tokens by this tokenizer: the template and the tokenizer belong to different models. Use the model\'s own template.',
  'template/no-generation-prompt': 'The template cannot write a generation prompt, so the assistant header is trained as part of each reply.',
  'template/generation-prompt-always': 'The template writes the assistant header after the last reply too; it is untrained context, and harmless.',
  'mask/empty': 'No token of the example is trained (all labels -100), so it adds nothing and some trainers fail on it. Check the roles and "weight".',
  'mask/eos-untrained': 'The end-of-turn token after a reply is not trained, so the model never learns to stop.',
  'tokens/double-bos': 'Text records that start with BOS get a second one from the tokenizer, as TRL adds it again. Remove the BOS from the text.',
  'length/truncated': 'The example is longer than max_length: truncation cuts part of what should be trained. Shorten or split it, or raise max_length.',
  'length/truncated-all': 'The example is so long that truncation cuts every trained token: it trains nothing. Shorten the prompt, split the example, or raise max_length.',
  'length/over-max': 'The example is longer than max_length, but only untrained tokens are cut.',
  'checks/skipped': 'Checks that need a template or tokenizer were skipped: set "model" or "template" in sft-studio.json to run them.',
};

/** The heading line of a rule in the document; the editor links diagnostics to it. */
export function ruleHeading(code: RuleCode): string {
  return `### \`${code}\``;
}

/** The whole rules document, in catalog order. */
export function rulesMarkdown(): string {
  const parts = [
    '# SFT Studio rules',
    '',
    'Every finding of `sft-studio check` and of the editor, with its default severity. Change a',
    'severity or switch a rule off in `sft-studio.json` (`"rules": {"CODE": "off"}`), or for one run',
    'with `--ignore CODE`. This file is written by `sft-studio rules --format markdown`.',
  ];
  for (const [code, rule] of Object.entries(RULES) as [RuleCode, (typeof RULES)[RuleCode]][]) {
    parts.push('', ruleHeading(code), '', `*${rule.severity}*: ${rule.summary}.`, '', RULE_ADVICE[code]);
  }
  return `${parts.join('\n')}\n`;
}
