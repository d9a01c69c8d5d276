/**
 * Turns the parsed project file plus `--set` overrides into a complete {@link TrainConfig}, or
 * the list of everything wrong with it, before any weight is loaded. Paths stay as written; the
 * trainer resolves them against the project file's folder.
 */
import { validateProjectSettings } from './projectFile';
import {
  DEFAULT_MAX_LENGTH, TRAIN_SECTIONS, checkField, parseOverride, unknownKeyMessage, validateSection,
  type FieldSpec, type LoraSettings, type QuantizationSettings, type SampleSettings, type TrainConfig, type TrainSection, type TrainingSettings,
} from './trainConfig';

export type TrainConfigResult = { ok: true; config: TrainConfig } | { ok: false; errors: string[] };

const TOP_LEVEL_SETTABLE = ['model', 'dataset', 'eval_dataset', 'output_dir', 'template', 'max_length'] as const;

/**
 * `raw` is the project file's object (or `{}` when there is none); `sets` are `section.key=value`
 * strings, applied in order over it. `defaultOutputDir` is used when the file names none.
 */
export function resolveTrainConfig(raw: unknown, sets: readonly string[], isKnownRule: (code: string) => boolean, defaultOutputDir: string): TrainConfigResult {
  const errors: string[] = [];
  const merged = structuredClone((raw ?? {}) as Record<string, unknown>);
  for (const assignment of sets) applyOverride(merged, assignment, errors);
  const checked = validateProjectSettings(merged, isKnownRule);
  if (!checked.ok) errors.push(...checked.errors);
  const sections: Record<string, Record<string, unknown>> = {};
  for (const section of Object.keys(TRAIN_SECTIONS) as TrainSection[]) sections[section] = validateSection(section, merged[section], []);
  for (const key of ['model', 'dataset'] as const) {
    if (merged[key] === undefined) errors.push(`"${key}" is missing: name the ${key === 'model' ? 'model folder (or a Hugging Face hub id in your cache)' : 'training .sft.jsonl file'} in sft-studio.json or with --set ${key}=...`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const text = (key: string): string | null => (typeof merged[key] === 'string' ? (merged[key] as string) : null);
  const training = sections['training'] as unknown as TrainingSettings;
  const config: TrainConfig = {
    model: text('model')!,
    dataset: text('dataset')!,
    eval_dataset: text('eval_dataset'),
    output_dir: text('output_dir') ?? defaultOutputDir,
    template: text('template'),
    max_length: typeof merged['max_length'] === 'number' ? merged['max_length'] : DEFAULT_MAX_LENGTH,
    lora: sections['lora'] as unknown as LoraSettings,
    quantization: sections['quantization'] as unknown as QuantizationSettings,
    training,
    samples: sections['samples'] as unknown as SampleSettings,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function applyOverride(target: Record<string, unknown>, assignment: string, errors: string[]): void {
  const parsed = parseOverride(assignment);
  if ('error' in parsed) {
    errors.push(parsed.error);
    return;
  }
  const [first, second] = parsed.path;
  if (second === undefined) {
    if (first in TRAIN_SECTIONS) {
      errors.push(`--set ${assignment}: "${first}" is a section; set one of its keys, such as ${first}.${Object.keys((TRAIN_SECTIONS as Record<string, object>)[first]!)[0]}=...`);
      return;
    }
    if (!(TOP_LEVEL_SETTABLE as readonly string[]).includes(first)) {
      errors.push(`--set ${assignment}: ${unknownKeyMessage(first, first, [...TOP_LEVEL_SETTABLE, ...Object.keys(TRAIN_SECTIONS).map((s) => `${s}.<key>`)])}`);
      return;
    }
    // Paths and names stay strings even when they look like numbers.
    target[first] = first === 'max_length' ? parsed.value : assignment.slice(assignment.indexOf('=') + 1);
    return;
  }
  const specs = (TRAIN_SECTIONS as Record<string, Record<string, FieldSpec>>)[first];
  if (!specs) {
    errors.push(`--set ${assignment}: ${unknownKeyMessage(first, first, Object.keys(TRAIN_SECTIONS))}`);
    return;
  }
  const spec = specs[second];
  if (!spec) {
    errors.push(`--set ${assignment}: ${unknownKeyMessage(`${first}.${second}`, second, Object.keys(specs))}`);
    return;
  }
  let value = parsed.value;
  // A single name where a list is expected: `--set samples.prompts=Hello` or `lora.target_modules=q_proj`.
  if ((spec.kind === 'strings' || spec.kind === 'modules') && typeof value === 'string' && value !== 'all-linear') value = [value];
  if (spec.kind === 'enum' || spec.kind === 'strings') value = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  const checked = checkField(`${first}.${second}`, spec, value);
  if (!checked.ok) {
    errors.push(`--set ${assignment}: ${checked.error}`);
    return;
  }
  const section = target[first];
  target[first] = { ...(section && typeof section === 'object' && !Array.isArray(section) ? section : {}), [second]: checked.value };
}
