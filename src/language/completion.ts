/** Completion of record keys, message keys and role values, described from the record schema. */
import * as vscode from 'vscode';
import { completionChoices, completionContext } from '../dataset/schemaHover';

export class DatasetCompletion implements vscode.CompletionItemProvider {
  static readonly triggerCharacters = ['"'];

  provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const before = doc.lineAt(position.line).text.slice(0, position.character);
    const kind = completionContext(before);
    if (!kind) return [];
    // Replace what was typed since the opening quote.
    const typed = /[^"]*$/.exec(before)![0];
    const range = new vscode.Range(position.line, position.character - typed.length, position.line, position.character);
    return completionChoices(kind).map(({ label, detail }) => {
      const item = new vscode.CompletionItem(label, kind === 'role' ? vscode.CompletionItemKind.EnumMember : vscode.CompletionItemKind.Property);
      item.documentation = new vscode.MarkdownString(detail);
      item.range = range;
      return item;
    });
  }
}
