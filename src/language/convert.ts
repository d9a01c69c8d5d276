/**
 * The only place where the core's plain findings become VS Code objects. Core ranges are 0-based
 * UTF-16 columns within one line, which is exactly what `vscode.Range` counts.
 */
import * as vscode from 'vscode';
import type { Finding, Fix, Severity } from '../dataset/rules';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export const DIAGNOSTIC_SOURCE = 'sft-studio';

/** A diagnostic for a finding; its code links to the rule's explanation when `ruleLink` knows it. */
export function toDiagnostic(finding: Finding, uri: vscode.Uri, ruleLink: (code: string) => vscode.Uri | undefined): vscode.Diagnostic {
  const range = new vscode.Range(finding.line, finding.start, finding.line, Math.max(finding.end, finding.start));
  const diagnostic = new vscode.Diagnostic(range, finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  const target = ruleLink(finding.code);
  diagnostic.code = target ? { value: finding.code, target } : finding.code;
  if (finding.related) {
    const at = new vscode.Location(uri, new vscode.Position(finding.related.line, 0));
    diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(at, finding.related.message)];
  }
  return diagnostic;
}

/** The rule code of one of our diagnostics, whether or not it carries a link. */
export function diagnosticCode(diagnostic: vscode.Diagnostic): string | undefined {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return undefined;
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : code === undefined ? undefined : String(code);
}

/**
 * The workspace edit of a fix on `line` of `doc`; undefined for a fix that sets the project file,
 * which the caller runs as a command instead.
 */
export function fixToEdit(doc: vscode.TextDocument, line: number, fix: Fix): vscode.WorkspaceEdit | undefined {
  const edit = new vscode.WorkspaceEdit();
  if (fix.kind === 'edit-line') {
    for (const e of fix.edits) edit.replace(doc.uri, new vscode.Range(line, e.start, line, e.end), e.newText);
  } else if (fix.kind === 'delete-line') {
    edit.delete(doc.uri, lineWithBreak(doc, line));
  } else {
    return undefined;
  }
  return edit;
}

/** A whole line with one of its line breaks, so deleting it leaves no blank line behind. */
function lineWithBreak(doc: vscode.TextDocument, line: number): vscode.Range {
  if (line + 1 < doc.lineCount) return new vscode.Range(line, 0, line + 1, 0);
  if (line > 0) return new vscode.Range(line - 1, doc.lineAt(line - 1).text.length, line, doc.lineAt(line).text.length);
  return doc.lineAt(line).range;
}

/** A problem with the project setup (sft-studio.json, the model folder), shown on line 1. */
export function setupDiagnostic(message: string): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), message, vscode.DiagnosticSeverity.Error);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = 'project/invalid';
  return diagnostic;
}
