/**
 * The only place where the core's plain findings become VS Code objects. Core ranges are 0-based
 * UTF-16 columns within one line, which is exactly what `vscode.Range` counts.
 */
import * as vscode from 'vscode';
import type { Finding, Severity } from '../dataset/rules';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export const DIAGNOSTIC_SOURCE = 'sft-studio';

export function toDiagnostic(finding: Finding, uri: vscode.Uri): vscode.Diagnostic {
  const range = new vscode.Range(finding.line, finding.start, finding.line, Math.max(finding.end, finding.start));
  const diagnostic = new vscode.Diagnostic(range, finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = finding.code;
  if (finding.related) {
    const at = new vscode.Location(uri, new vscode.Position(finding.related.line, 0));
    diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(at, finding.related.message)];
  }
  return diagnostic;
}

/** A problem with the project setup (sft-studio.json, the model folder), shown on line 1. */
export function setupDiagnostic(message: string): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), message, vscode.DiagnosticSeverity.Error);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = 'project/invalid';
  return diagnostic;
}
