/**
 * How findings are written: compiler-style text (`path:line:col: severity code: message`) or
 * JSON objects with 1-based lines and UTF-16 columns, end exclusive, as the editor counts.
 */
import type { Finding } from '../dataset/rules';

export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Finding['severity'];
  code: string;
  message: string;
  scope?: 'file';
  related?: { line: number; message: string };
}

export function toJsonFinding(file: string, finding: Finding): JsonFinding {
  const json: JsonFinding = {
    file,
    line: finding.line + 1,
    column: finding.start + 1,
    endLine: finding.line + 1,
    endColumn: finding.end + 1,
    severity: finding.severity,
    code: finding.code,
    message: finding.message,
  };
  if (finding.scope) json.scope = finding.scope;
  if (finding.related) json.related = { line: finding.related.line + 1, message: finding.related.message };
  return json;
}

export function formatTextFinding(file: string, finding: Finding): string {
  const related = finding.related ? ` (see line ${finding.related.line + 1})` : '';
  return `${file}:${finding.line + 1}:${finding.start + 1}: ${finding.severity} ${finding.code}: ${finding.message}${related}`;
}
