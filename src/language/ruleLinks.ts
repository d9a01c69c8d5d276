/**
 * Links from a diagnostic's code to the rule's section in `docs/rules.md`, which ships with the
 * extension. VS Code opens a file link whose fragment is `L<line>` at that line.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isRuleCode } from '../dataset/rules';
import { ruleHeading } from '../dataset/ruleDocs';

export function ruleLinks(extensionUri: vscode.Uri): (code: string) => vscode.Uri | undefined {
  const doc = vscode.Uri.joinPath(extensionUri, 'docs', 'rules.md');
  const lines = new Map<string, number>();
  try {
    fs.readFileSync(doc.fsPath, 'utf8').split('\n').forEach((text, index) => lines.set(text, index + 1));
  } catch {
    return () => undefined; // no document shipped: plain codes
  }
  return (code) => {
    const line = isRuleCode(code) ? lines.get(ruleHeading(code)) : undefined;
    return line === undefined ? undefined : doc.with({ fragment: `L${line}` });
  };
}
