/** Live diagnostics: the language, ranges, incremental edits, the project file. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, codeOf, codes, diagnosticsWhere, openDataset, runInfo, sftStudioExtension, workspaceRoot, type EditorTest } from './helpers';

export const DIAGNOSTIC_TESTS: EditorTest[] = [
  ['the extension under test is the one this run installed (the repository, or the .vsix)', async () => {
    const expected = runInfo().installedFrom;
    assert.ok(expected, 'the launcher did not say where the extension comes from');
    const extension = sftStudioExtension();
    assert.ok(extension.extensionPath.startsWith(expected), `${extension.extensionPath} is not under ${expected}`);
    await api();
    assert.ok(extension.isActive);
  }],
  ['.sft.jsonl files open in the SFT dataset language', async () => {
    const doc = await openDataset('data/broken.sft.jsonl');
    assert.equal(doc.languageId, 'sft-jsonl');
  }],
  ['diagnostics point at the offending value', async () => {
    const doc = await openDataset('data/broken.sft.jsonl');
    const diagnostics = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('message/role-unknown'), 'the unknown role');
    const role = diagnostics.find((d) => codeOf(d) === 'message/role-unknown')!;
    const line = doc.lineAt(1).text;
    assert.equal(role.range.start.line, 1);
    assert.equal(doc.getText(role.range), '"usr"');
    assert.equal(role.range.start.character, line.indexOf('"usr"'));
    assert.equal(role.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(role.source, 'sft-studio');
    assert.ok(codes(diagnostics).includes('json/invalid'));
  }],
  ['an edit re-checks the changed line and updates diagnostics', async () => {
    const doc = await openDataset('data/broken.sft.jsonl');
    const line = doc.lineAt(1).text;
    const at = line.indexOf('"usr"');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(1, at, 1, at + 5), '"user"');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('message/role-unknown') && codes(d).includes('json/invalid'), 'the role error to go');
    // Copy line 1 to the end: a duplicate that points back at line 1.
    const copy = new vscode.WorkspaceEdit();
    copy.insert(doc.uri, new vscode.Position(doc.lineCount, 0), `\n${doc.lineAt(0).text}`);
    assert.ok(await vscode.workspace.applyEdit(copy));
    const withDuplicate = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('duplicate/example'), 'the duplicate');
    const duplicate = withDuplicate.find((d) => codeOf(d) === 'duplicate/example')!;
    assert.equal(duplicate.range.start.line, doc.lineCount - 1);
    assert.equal(duplicate.relatedInformation?.[0]?.location.range.start.line, 0);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }],
  ['the project file sets the template: template findings appear', async () => {
    const doc = await openDataset('templated/alternation.sft.jsonl');
    const diagnostics = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('template/raised'), 'the template error');
    assert.match(diagnostics.find((d) => codeOf(d) === 'template/raised')!.message, /alternate/);
  }],
  ['a broken sft-studio.json is reported with its fix, and fixing it recovers', async () => {
    const projectFile = path.join(workspaceRoot(), 'templated', 'sft-studio.json');
    const good = fs.readFileSync(projectFile, 'utf8');
    const project = await vscode.workspace.openTextDocument(projectFile);
    const editor = await vscode.window.showTextDocument(project);
    await editor.edit((b) => b.replace(new vscode.Range(0, 0, project.lineCount, 0), '{"max_length": "long"}'));
    await project.save();
    const doc = await openDataset('templated/alternation.sft.jsonl');
    const broken = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('project/invalid'), 'the project file error');
    assert.match(broken[0]!.message, /"max_length" must be a positive whole number/);
    const again = await vscode.window.showTextDocument(project);
    await again.edit((b) => b.replace(new vscode.Range(0, 0, project.lineCount, 0), good));
    await project.save();
    await diagnosticsWhere(doc.uri, (d) => codes(d).includes('template/raised'), 'recovery after the fix');
  }],
];

