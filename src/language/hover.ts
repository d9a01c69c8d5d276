/**
 * Hovers on a dataset line: on a key or a role value, the schema's description; anywhere else on
 * an example, the example as the chat template renders it, with what trains marked and counted.
 */
import * as vscode from 'vscode';
import { previewLine, previewMarkdown } from '../dataset/hoverText';
import { describeAt } from '../dataset/schemaHover';
import type { DatasetDiagnostics } from './diagnostics';

export class DatasetHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: DatasetDiagnostics) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const line = doc.lineAt(position.line);
    if (line.isEmptyOrWhitespace) return undefined;
    const described = describeAt(line.text, position.character);
    if (described) return new vscode.Hover(new vscode.MarkdownString(described.markdown), new vscode.Range(position.line, described.start, position.line, described.end));
    const markdown = this.examplePreview(doc, line.text);
    return markdown ? new vscode.Hover(new vscode.MarkdownString(markdown), line.range) : undefined;
  }

  /** The formatted example of a line, or undefined while the setup is loading or broken. */
  examplePreview(doc: vscode.TextDocument, text: string): string | undefined {
    const setup = this.diagnostics.setupFor(doc);
    if (!setup || setup instanceof Error) return undefined;
    return previewMarkdown(previewLine(text, setup.context), setup.context.tokenizer !== undefined);
  }
}
