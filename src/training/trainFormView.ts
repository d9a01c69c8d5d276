/**
 * Draws the training form (src/common/trainForm.ts) with the editor's quick input: a list of the
 * settings with their values, Enter on "Start Training" accepts, Enter on a setting edits it (an
 * input box that says what is wrong before accepting, a toggle for on/off, a multi-select for the
 * target modules). Escape cancels without writing anything.
 */
import * as vscode from 'vscode';
import { LINEAR_MODULES } from '../common/trainConfig';
import { fieldId, formatFormValue, parseFormValue, TRAIN_FORM_FIELDS, type FormField, type FormValues } from '../common/trainForm';

interface FieldItem extends vscode.QuickPickItem {
  field?: FormField;
}

export async function showTrainForm(initial: FormValues, title: string): Promise<FormValues | undefined> {
  const values = { ...initial };
  for (;;) {
    const items: FieldItem[] = [
      { label: '$(play) Start Training', detail: 'Writes these settings to sft-studio.json and starts the run', alwaysShow: true },
      { label: 'settings', kind: vscode.QuickPickItemKind.Separator },
      ...TRAIN_FORM_FIELDS.map((field) => ({ label: field.label, description: formatFormValue(values[fieldId(field)]) || '(not set)', detail: field.description, field })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Enter starts training; choose a setting to change it', ignoreFocusOut: true });
    if (!picked) return undefined;
    if (!picked.field) {
      const missing = TRAIN_FORM_FIELDS.find((field) => !parseFormValue(field, formatFormValue(values[fieldId(field)])).ok);
      if (!missing) return values;
      void vscode.window.showWarningMessage(`SFT Studio: set ${missing.label} first.`);
      continue;
    }
    const edited = await editField(picked.field, values[fieldId(picked.field)]);
    if (edited !== undefined) values[fieldId(picked.field)] = edited;
  }
}

async function editField(field: FormField, current: unknown): Promise<unknown> {
  if (field.spec.kind === 'boolean') return !current;
  if (field.spec.kind === 'modules') {
    const chosen = new Set(current === 'all-linear' ? LINEAR_MODULES : Array.isArray(current) ? current : []);
    const picked = await vscode.window.showQuickPick(LINEAR_MODULES.map((name) => ({ label: name, picked: chosen.has(name) })), {
      title: field.label, canPickMany: true, placeHolder: 'The linear layers that get LoRA adapters', ignoreFocusOut: true,
    });
    if (!picked || picked.length === 0) return undefined;
    return picked.length === LINEAR_MODULES.length ? 'all-linear' : picked.map((item) => item.label);
  }
  const text = await vscode.window.showInputBox({
    title: field.label,
    prompt: field.spec.description,
    value: formatFormValue(current),
    ignoreFocusOut: true,
    validateInput: (input) => {
      const parsed = parseFormValue(field, input);
      return parsed.ok ? undefined : parsed.error;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseFormValue(field, text);
  return parsed.ok ? parsed.value : undefined;
}
