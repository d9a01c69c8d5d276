/**
 * Writes `model` or `template` into the nearest `sft-studio.json` (creating one next to the
 * dataset when there is none) as a WorkspaceEdit, so the change is undoable in the project file,
 * then saves it; saving reloads the setups and re-checks the open datasets.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME } from '../common/projectFile';
import { findProjectFile } from '../dataset/load/checkSetup';
import { newProjectFileText, setProjectSetting } from '../dataset/projectFileEdit';

/** Sets the value and returns the project file written, or throws an Error with a message to show. */
export async function writeProjectSetting(dataset: vscode.Uri, key: 'model' | 'template', value: string): Promise<vscode.Uri> {
  const existing = findProjectFile(path.dirname(dataset.fsPath));
  const edit = new vscode.WorkspaceEdit();
  if (!existing) {
    const created = vscode.Uri.file(path.join(path.dirname(dataset.fsPath), PROJECT_FILE_NAME));
    edit.createFile(created, { ignoreIfExists: true });
    edit.insert(created, new vscode.Position(0, 0), newProjectFileText(key, value));
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not create ${created.fsPath}`);
    await saveIfOpen(created);
    return created;
  }
  const uri = vscode.Uri.file(existing);
  const doc = await vscode.workspace.openTextDocument(uri);
  const change = setProjectSetting(doc.getText(), key, value);
  if (!change.ok) throw new Error(`${existing}: ${change.message}`);
  for (const e of change.edits) edit.replace(uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${existing}`);
  await doc.save();
  return uri;
}

async function saveIfOpen(uri: vscode.Uri): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
}
