/**
 * The short form "Start LoRA Training" shows when `sft-studio.json` has no training settings yet:
 * the few settings people change first, with the trainer's own defaults, written back into the
 * project file so the run can be repeated from the CLI with the same result. Pure: the editor
 * only draws it.
 */
import { DEFAULT_MAX_LENGTH, TRAIN_SECTIONS, checkField, type FieldSpec } from './trainConfig';

export type FormPath = readonly [string] | readonly [string, string];

export interface FormField {
  path: FormPath;
  label: string;
  description: string;
  spec: FieldSpec | { kind: 'text'; description: string };
}

const spec = (section: keyof typeof TRAIN_SECTIONS, key: string): FieldSpec => (TRAIN_SECTIONS[section] as Record<string, FieldSpec>)[key]!;

export const TRAIN_FORM_FIELDS: readonly FormField[] = [
  { path: ['model'], label: 'Model', description: 'a model folder, or a Hugging Face id in your cache', spec: { kind: 'text', description: 'The base model: a Hugging Face model folder (config.json, tokenizer, safetensors) or a hub id already in your cache.' } },
  { path: ['training', 'num_train_epochs'], label: 'Epochs', description: 'num_train_epochs', spec: spec('training', 'num_train_epochs') },
  { path: ['training', 'learning_rate'], label: 'Learning rate', description: 'learning_rate', spec: spec('training', 'learning_rate') },
  { path: ['lora', 'r'], label: 'LoRA rank', description: 'r', spec: spec('lora', 'r') },
  { path: ['lora', 'lora_alpha'], label: 'LoRA alpha', description: 'lora_alpha', spec: spec('lora', 'lora_alpha') },
  { path: ['lora', 'target_modules'], label: 'Target modules', description: 'target_modules', spec: spec('lora', 'target_modules') },
  { path: ['max_length'], label: 'Max length', description: 'max_length, in tokens', spec: { kind: 'integer', default: DEFAULT_MAX_LENGTH, min: 1, max: 1_048_576, description: 'Examples are cut to this many tokens.' } },
  { path: ['quantization', 'load_in_4bit'], label: 'QLoRA', description: 'load_in_4bit: the frozen weights in 4-bit NF4', spec: spec('quantization', 'load_in_4bit') },
];

export type FormValues = Record<string, unknown>;

export const fieldId = (field: FormField): string => field.path.join('.');

/** Whether the project file already says how to train (then the commands start without asking). */
export function hasTrainingSettings(project: Readonly<Record<string, unknown>>): boolean {
  return typeof project['model'] === 'string' && ['lora', 'training', 'quantization'].some((section) => isObject(project[section]));
}

/** The form's first values: what the project file says, else the defaults; QLoRA as the command asks. */
export function formDefaults(project: Readonly<Record<string, unknown>>, qlora: boolean): FormValues {
  const values: FormValues = {};
  for (const field of TRAIN_FORM_FIELDS) {
    const written = valueAt(project, field.path);
    values[fieldId(field)] = written !== undefined ? written : field.spec.kind === 'text' ? '' : field.spec.default;
  }
  values['quantization.load_in_4bit'] = qlora;
  return values;
}

/** How a value shows in the form (and is pre-filled for editing). */
export function formatFormValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return value === undefined || value === null ? '' : String(value);
}

/** Parses what was typed into a field; errors name the field and what it accepts. */
export function parseFormValue(field: FormField, text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (field.spec.kind === 'text') return trimmed.length > 0 ? { ok: true, value: trimmed } : { ok: false, error: `${field.label} cannot be empty` };
  let value: unknown = trimmed;
  switch (field.spec.kind) {
    case 'integer':
    case 'number':
      // Text that is not a number stays text, so the error shows what was typed.
      value = trimmed.length > 0 && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
      break;
    case 'boolean':
      value = /^(on|true|yes|1)$/i.test(trimmed) ? true : /^(off|false|no|0)$/i.test(trimmed) ? false : trimmed;
      break;
    case 'modules':
      value = trimmed === 'all-linear' ? trimmed : trimmed.split(/[\s,]+/).filter((name) => name.length > 0);
      break;
    default:
      break;
  }
  const checked = checkField(fieldId(field), field.spec, value);
  return checked.ok ? checked : { ok: false, error: checked.error.replace(/^"[^"]+"/, field.label) };
}

/**
 * The top-level members to write: the form's values merged into the sections the file has (other
 * settings there stay), plus `dataset` when the file names none.
 */
export function formMembers(project: Readonly<Record<string, unknown>>, values: FormValues, dataset: string): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  for (const field of TRAIN_FORM_FIELDS) {
    const value = values[fieldId(field)];
    const [first, second] = field.path;
    if (second === undefined) {
      members[first] = value;
    } else {
      const base = isObject(members[first]) ? (members[first] as Record<string, unknown>) : isObject(project[first]) ? { ...(project[first] as Record<string, unknown>) } : {};
      members[first] = { ...base, [second]: value };
    }
  }
  if (typeof project['dataset'] !== 'string') members['dataset'] = dataset;
  return members;
}

function valueAt(project: Readonly<Record<string, unknown>>, path: FormPath): unknown {
  const [first, second] = path;
  if (second === undefined) return project[first];
  const section = project[first];
  return isObject(section) ? (section as Record<string, unknown>)[second] : undefined;
}

function isObject(value: unknown): boolean {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
