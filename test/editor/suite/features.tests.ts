/** Hovers, quick fixes, completion, the model picker, the views and the workspace check, in the real editor. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startHubServer } from '../../fixtures/hubServer';
import { api, codeOf, codes, diagnosticsWhere, eventually, openDataset, screenshot, workspaceRoot, type EditorTest } from './helpers';

const hoverText = (hovers: vscode.Hover[]): string => hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

async function hoverAt(doc: vscode.TextDocument, line: number, character: number): Promise<string> {
  return hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, character)));
}

async function quickFix(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic, title: string | RegExp): Promise<vscode.CodeAction> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
  const action = actions.find((a) => (typeof title === 'string' ? a.title === title : title.test(a.title)));
  assert.ok(action, `no quick fix ${String(title)}; offered: ${actions.map((a) => a.title).join(' | ')}`);
  return action;
}

export const FEATURE_TESTS: EditorTest[] = [
  ['hover: an example shows its formatted text with the trained tokens counted; a key shows its description', async () => {
    const doc = await openDataset('clean/llama3-with-llama3/clean.sft.jsonl');
    assert.ok(await (await api()).whenChecked(doc));
    const line = doc.lineAt(1).text;
    const example = await hoverAt(doc, 1, line.indexOf('Tokyo'));
    assert.match(example, /\*\*Formatted example\*\* · template `llama3` · \d+ tokens, \d+ trained · max_length 1024/);
    assert.ok(example.includes('<|start_header_id|>assistant<|end_header_id|>'), example);
    assert.match(example, /\*\*▶ trained\*\* · \d+ tokens\n`{3,}text\nLa capitale du Japon est Tokyo \(東京\)\.<\|eot_id\|>/);
    const key = await hoverAt(doc, 1, line.indexOf('"role"') + 2);
    assert.match(key, /\*\*role\*\*: Who speaks/);
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, line.indexOf('Tokyo'), 1, line.indexOf('Tokyo'));
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('hover-example');
  }],
  ['a diagnostic\'s code links to its rule in the shipped docs/rules.md', async () => {
    const doc = await openDataset('fixes/fixable.sft.jsonl');
    const diagnostics = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('message/role-unknown'), 'the role typo');
    const code = diagnostics.find((d) => codeOf(d) === 'message/role-unknown')!.code as { value: string; target: vscode.Uri };
    assert.ok(code.target.fsPath.endsWith(path.join('docs', 'rules.md')), code.target.toString());
    const line = Number(/^L(\d+)$/.exec(code.target.fragment)![1]);
    assert.equal(fs.readFileSync(code.target.fsPath, 'utf8').split('\n')[line - 1], '### `message/role-unknown`');
  }],
  ['quick fixes: a role typo fixed and undone, a duplicate deleted, ShareGPT lines converted', async () => {
    const doc = await openDataset('fixes/fixable.sft.jsonl');
    const original = doc.getText();
    const diagnostics = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('message/role-unknown') && codes(d).includes('duplicate/example'), 'the role typo and the duplicate');
    const typo = diagnostics.find((d) => codeOf(d) === 'message/role-unknown')!;
    const fix = await quickFix(doc, typo, 'Change the role to "assistant"');
    assert.ok(fix.isPreferred);
    await screenshotWithQuickFixMenu(doc, typo);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.ok(doc.lineAt(1).text.startsWith('{"messages": [{"role": "assistant"'));
    await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('message/role-unknown'), 'the role error to go');
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'undo restores the line');
    await diagnosticsWhere(doc.uri, (d) => codes(d).includes('message/role-unknown'), 'the role error after undo');

    const duplicate = vscode.languages.getDiagnostics(doc.uri).find((d) => codeOf(d) === 'duplicate/example')!;
    assert.equal(duplicate.range.start.line, 4);
    assert.ok(await vscode.workspace.applyEdit((await quickFix(doc, duplicate, 'Delete this duplicate line')).edit!));
    assert.equal(doc.lineCount, 5, 'the line and its break are gone');
    const convertible = await diagnosticsWhere(doc.uri, (d) => codes(d).includes('format/convertible') && !codes(d).includes('duplicate/example'), 'the duplicate to go');
    const convertAll = await quickFix(doc, convertible.find((d) => codeOf(d) === 'format/convertible')!, /^Convert all 2 ShareGPT and Alpaca lines/);
    assert.ok(await vscode.workspace.applyEdit(convertAll.edit!));
    assert.deepEqual(JSON.parse(doc.lineAt(2).text), { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] });
    await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('format/convertible'), 'the ShareGPT warnings to go');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }],
  ['completion offers role values with their descriptions', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sft-jsonl', content: '{"messages": [{"role": "' });
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(0, doc.lineAt(0).text.length), '"');
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const role of ['system', 'user', 'assistant', 'tool']) assert.ok(labels.includes(role), labels.join(', '));
  }],
  ['the model picker writes sft-studio.json, undoably when it is open, and the diagnostics follow', async () => {
    const doc = await openDataset('picker/alternation.sft.jsonl');
    assert.ok(await (await api()).whenChecked(doc));
    assert.ok(!codes(vscode.languages.getDiagnostics(doc.uri)).includes('template/raised'));
    // The quick pick itself, for the screenshot; Escape closes it without a choice.
    void vscode.commands.executeCommand('sftStudio.chooseModel');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await screenshot('model-picker');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');

    await vscode.commands.executeCommand('sftStudio.chooseModel', { key: 'template', value: 'mistral' });
    const projectFile = path.join(workspaceRoot(), 'picker', 'sft-studio.json');
    assert.deepEqual(JSON.parse(fs.readFileSync(projectFile, 'utf8')), { template: 'mistral' });
    await diagnosticsWhere(doc.uri, (d) => codes(d).includes('template/raised'), 'mistral\'s alternation error');

    const project = await vscode.workspace.openTextDocument(projectFile);
    await vscode.window.showTextDocument(project);
    await vscode.commands.executeCommand('sftStudio.setProjectSetting', doc.uri, 'template', 'llama3');
    assert.deepEqual(JSON.parse(project.getText()), { template: 'llama3' });
    await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('template/raised'), 'llama3 to accept the file');
    await vscode.window.showTextDocument(project);
    await vscode.commands.executeCommand('undo');
    assert.deepEqual(JSON.parse(project.getText()), { template: 'mistral' }, 'undo restores the project file');
    await project.save();
    await diagnosticsWhere(doc.uri, (d) => codes(d).includes('template/raised'), 'mistral again after undo');
  }],
  ['"Download from Hugging Face…" fetches a model into the cache, and the dataset is checked with its tokenizer', async () => {
    const hub = await startHubServer({ 'org/tiny-chat': path.join(workspaceRoot(), 'hub-repo') });
    const saved = { HF_HOME: process.env['HF_HOME'], HF_ENDPOINT: process.env['HF_ENDPOINT'] };
    process.env['HF_HOME'] = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-editor-hf-'));
    process.env['HF_ENDPOINT'] = hub.url;
    try {
      const doc = await openDataset('download/data.sft.jsonl');
      assert.ok(await (await api()).whenChecked(doc));
      assert.ok(codes(vscode.languages.getDiagnostics(doc.uri)).includes('checks/skipped'), 'without a model, checks are skipped');
      assert.equal(await vscode.commands.executeCommand('sftStudio.downloadModel', 'org/tiny-chat'), true);
      assert.deepEqual(hub.downloads.sort(), ['config.json', 'tokenizer.json', 'tokenizer_config.json']);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(workspaceRoot(), 'download', 'sft-studio.json'), 'utf8')), { model: 'org/tiny-chat' });
      await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('checks/skipped'), 'the checks to run with the downloaded tokenizer');
      assert.match(await hoverAt(doc, 0, doc.lineAt(0).text.indexOf('canine')), /\d+ tokens, \d+ trained/);
    } finally {
      process.env['HF_HOME'] = saved.HF_HOME;
      process.env['HF_ENDPOINT'] = saved.HF_ENDPOINT;
      if (saved.HF_HOME === undefined) delete process.env['HF_HOME'];
      if (saved.HF_ENDPOINT === undefined) delete process.env['HF_ENDPOINT'];
      await hub.close();
    }
  }],
  ['Re-check Dataset reads an edited chat_template.jinja again', async () => {
    const doc = await openDataset('jinja/data.sft.jsonl');
    await diagnosticsWhere(doc.uri, (d) => d.some((x) => codeOf(x) === 'template/raised' && /being written/.test(x.message)), 'the raising template');
    fs.writeFileSync(path.join(workspaceRoot(), 'jinja', 'model', 'chat_template.jinja'), "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}</s>{% endif %}\n{% endfor %}");
    await vscode.commands.executeCommand('sftStudio.recheckDataset');
    await diagnosticsWhere(doc.uri, (d) => !codes(d).includes('template/raised'), 'the edited template to be used');
  }],
  ['the statistics and formatted-example views open and follow the dataset', async () => {
    const doc = await openDataset('clean/llama3-with-llama3/clean.sft.jsonl');
    const statistics = await vscode.commands.executeCommand<vscode.WebviewPanel>('sftStudio.showStatistics');
    assert.ok(statistics, 'the statistics view opened');
    assert.match(statistics.webview.html, /Dataset statistics: clean\.sft\.jsonl/);
    assert.match(statistics.webview.html, new RegExp(`<td>messages</td><td class="num">${doc.lineCount - 1}</td>`));
    assert.match(statistics.webview.html, /trained tokens<\/td><td class="num">\d+/);
    assert.match(statistics.webview.html, /command:sftStudio\.revealLine\?[^"]+">line \d/);
    assert.ok(await screenshot('statistics', 'Longest examples'), 'the statistics view did not render');
    statistics.dispose();
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const preview = await vscode.commands.executeCommand<vscode.WebviewPanel>('sftStudio.previewExample');
    await eventually(() => (/clean\.sft\.jsonl, line 1/.test(preview.webview.html) ? true : undefined), 'the preview of line 1');
    assert.match(preview.webview.html, /<span class="trained" title="\d+ tokens">La capitale du Japon est Tokyo/);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await eventually(() => (/clean\.sft\.jsonl, line 2/.test(preview.webview.html) ? true : undefined), 'the preview to follow the cursor');
    assert.ok(await screenshot('preview', 'context (not trained)'), 'the preview did not render');
    preview.dispose();
  }],
  ['Check All Datasets in Workspace reports files that are not open', async () => {
    const closed = vscode.Uri.file(path.join(workspaceRoot(), 'closed', 'never-opened.sft.jsonl'));
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === closed.fsPath));
    const result = await vscode.commands.executeCommand<{ files: number; errors: number }>('sftStudio.checkWorkspace');
    assert.ok(result.files > 100 && result.errors > 0, JSON.stringify(result));
    const diagnostics = vscode.languages.getDiagnostics(closed);
    const role = diagnostics.find((d) => codeOf(d) === 'message/role-unknown');
    assert.ok(role, JSON.stringify(diagnostics.map((d) => `${codeOf(d)}: ${d.message}`)));
    assert.equal(role.range.start.character, '{"messages": [{"role": '.length);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await screenshot('workspace-problems');
  }],
];

/** Opens the quick-fix menu on a diagnostic for the screenshot, then closes it. */
async function screenshotWithQuickFixMenu(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic): Promise<void> {
  const editor = await vscode.window.showTextDocument(doc);
  editor.selection = new vscode.Selection(diagnostic.range.start, diagnostic.range.start);
  await vscode.commands.executeCommand('editor.action.quickFix');
  await new Promise((resolve) => setTimeout(resolve, 800));
  await screenshot('quick-fix');
  await vscode.commands.executeCommand('hideCodeActionWidget');
}
