/**
 * Hovers on a dataset line: on a key or a role value, the schema's description; anywhere else on
 * an example, the example as the chat template renders it, with what trains marked and counted.
 */
import * as vscode from 'vscode';
import { describeAt } from '../dataset/schemaHover';
import type { DatasetDiagnostics } from './diagnostics';

export class DatasetHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: DatasetDiagnostics) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const line = doc.lineAt(position.line);
    if (line.isEmptyOrWhitespace) return undefined;
    const described = describeAt(line.text, position.character);
    if (described) return new vscode.Hover(new vscode.MarkdownString(described.markdown), new vscode.Range(position.line, described.start, position.line, described.end));
    // The service answers once the setup (template, tokenizer) is loaded; a broken setup has its own diagnostic.
    const preview = await this.diagnostics.preview(doc, line.text);
    if (!preview || 'error' in preview) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(preview.markdown), line.range);
  }
}
