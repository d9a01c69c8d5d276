/**
 * Quick fixes: the fixes the core attached to each finding, turned into code actions. Every edit
 * goes through a WorkspaceEdit, so it is undoable; a fix that sets the project file runs the
 * model picker's command, which edits `sft-studio.json` the same way.
 */
import * as vscode from 'vscode';
import { convertAllLines } from '../dataset/fixes';
import type { Finding } from '../dataset/rules';
import { diagnosticCode, fixToEdit } from './convert';
import type { DatasetDiagnostics } from './diagnostics';

export const SET_PROJECT_COMMAND = 'sftStudio.setProjectSetting';

export class DatasetCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: DatasetDiagnostics) {}

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    let convertAllOffered = false;
    // One request per line, however many of its diagnostics the range holds.
    const byLine = new Map<number, Promise<Finding[]>>();
    const findingsOn = (line: number): Promise<Finding[]> => {
      if (!byLine.has(line)) byLine.set(line, this.diagnostics.lineFindings(doc, line));
      return byLine.get(line)!;
    };
    for (const diagnostic of context.diagnostics) {
      const code = diagnosticCode(diagnostic);
      if (!code) continue;
      const finding = (await findingsOn(diagnostic.range.start.line)).find((f) => f.code === code && f.start === diagnostic.range.start.character);
      if (!finding) continue;
      actions.push(...this.actionsFor(doc, finding, diagnostic));
      if (finding.code === 'format/convertible' && !convertAllOffered) {
        convertAllOffered = true;
        const all = this.convertAll(doc);
        if (all) actions.push(all);
      }
    }
    return actions;
  }

  private actionsFor(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic): vscode.CodeAction[] {
    return (finding.fixes ?? []).map((fix, index) => {
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      action.isPreferred = index === 0 && fix.kind !== 'set-project';
      const edit = fixToEdit(doc, finding.line, fix);
      if (edit) action.edit = edit;
      else if (fix.kind === 'set-project') action.command = { title: fix.title, command: SET_PROJECT_COMMAND, arguments: [doc.uri, fix.key, fix.value] };
      return action;
    });
  }

  /** "Convert every ShareGPT and Alpaca line": one undoable edit of the whole file. */
  private convertAll(doc: vscode.TextDocument): vscode.CodeAction | undefined {
    const lines: string[] = [];
    for (let i = 0; i < doc.lineCount; i++) lines.push(doc.lineAt(i).text);
    const converted = convertAllLines(lines);
    if (converted.length < 2) return undefined;
    const action = new vscode.CodeAction(`Convert all ${converted.length} ShareGPT and Alpaca lines to "messages"`, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    for (const { line, text } of converted) action.edit.replace(doc.uri, doc.lineAt(line).range, text);
    return action;
  }
}
