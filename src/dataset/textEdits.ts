/** Text edits as plain data: what quick fixes and project-file changes are made of. */

/** A replacement of characters [start, end) of a text (a line, or a whole file). */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/** The text with edits applied; edits never overlap, and are applied from the last to the first. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  return result;
}
