/**
 * No false alarms in the editor: the clean file under every built-in template (with the real
 * tokenizer of its family where one ships) shows no error and no warning once it is checked.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, codeOf, workspaceRoot, type EditorTest } from './helpers';

export const CLEAN_DATA_TESTS: EditorTest[] = [
  ['clean data under every built-in template: no error and no warning in the editor', async () => {
    const cases = fs.readdirSync(path.join(workspaceRoot(), 'clean')).sort();
    assert.ok(cases.length > 90, `only ${cases.length} clean-data folders`);
    const sft = await api();
    const alarms: string[] = [];
    for (const name of cases) {
      const doc = await vscode.workspace.openTextDocument(path.join(workspaceRoot(), 'clean', name, 'clean.sft.jsonl'));
      assert.ok(await sft.whenChecked(doc), `${name} was not checked`);
      for (const d of vscode.languages.getDiagnostics(doc.uri)) {
        if (d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning) alarms.push(`${name}:${d.range.start.line + 1}: ${codeOf(d)}: ${d.message}`);
      }
    }
    assert.deepEqual(alarms, []);
  }],
];
