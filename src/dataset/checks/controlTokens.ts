/**
 * Finds the model's own control tokens written into message content. The tokenizer encodes the
 * text `<|eot_id|>` inside a reply as the real end-of-turn token, so a trained reply that holds
 * one teaches the model to stop in mid-reply, and a prompt that holds one injects a turn boundary
 * the model will never see at inference.
 */
import { sourceColumnOfStringIndex } from '../json/parseJson';
import type { ChatMessage } from '../records';
import type { LineFinding } from '../rules';
import type { ChatTemplate } from '../template';
import type { TextTokenizer } from '../tokens';
import { SPECIAL_LOOKING } from './foreignTokens';
import { BUILT_IN_TOOL_CALL } from './messageRules';

/** At most this many findings per line: one is enough to act on, a wall of them is noise. */
const MAX_FINDINGS = 3;

const patternCache = new WeakMap<object, RegExp | null>();

/**
 * The control tokens of this setup: the tokenizer's special added tokens (what it encodes as
 * control tokens), or without a tokenizer the template's markers that look special. Non-special
 * added tokens such as Qwen's `<tool_call>` and `<think>` are ordinary text in replies.
 */
function controlTokenPattern(tokenizer: TextTokenizer | undefined, template: ChatTemplate | undefined): RegExp | null {
  const owner = tokenizer ?? template;
  if (!owner) return null;
  const cached = patternCache.get(owner);
  if (cached !== undefined) return cached;
  const tokens = tokenizer ? tokenizer.specialTokens : template!.info.specialTokens.filter((t) => SPECIAL_LOOKING.test(t));
  const escaped = [...new Set(tokens)].filter((t) => t.length > 0).sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = escaped.length > 0 ? new RegExp(escaped.join('|'), 'g') : null;
  patternCache.set(owner, pattern);
  return pattern;
}

export function findControlTokens(
  line: string,
  messages: readonly ChatMessage[],
  context: { tokenizer?: TextTokenizer; template?: ChatTemplate },
): LineFinding[] {
  const pattern = controlTokenPattern(context.tokenizer, context.template);
  if (!pattern) return [];
  const findings: LineFinding[] = [];
  for (const message of messages) {
    if (message.content.length === 0) continue;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(message.content); match && findings.length < MAX_FINDINGS; match = pattern.exec(message.content)) {
      if (match.index === 0 && match[0] === BUILT_IN_TOOL_CALL && message.role === 'assistant') continue;
      const at = {
        start: sourceColumnOfStringIndex(line, message.contentSpan, match.index),
        end: sourceColumnOfStringIndex(line, message.contentSpan, match.index + match[0].length),
      };
      findings.push(message.trained
        ? {
          code: 'message/control-token-trained', ...at,
          message: `${match[0]} in this trained reply is encoded as the model's control token, not as text, so the model learns to emit it in mid-reply: remove it, or write it differently (for example with a space inside)`,
        }
        : {
          code: 'message/control-token', ...at,
          message: `${match[0]} in ${message.role} text is encoded as the model's control token, not as text, so it injects a turn boundary into the prompt: remove it, or write it differently`,
        });
    }
    if (findings.length >= MAX_FINDINGS) break;
  }
  return findings;
}
