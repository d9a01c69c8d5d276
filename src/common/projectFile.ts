/**
 * `sft-studio.json`, the one project file that the editor, the CLI and the trainer all read, so
 * that what is checked is exactly what is trained. Validation is pure: it takes the parsed JSON
 * and returns either the settings or messages that name each bad value.
 */

import { PROJECT_KEYS, TRAIN_SECTIONS, unknownKeyMessage, validateSection, type TrainSection } from './trainConfig';

export const PROJECT_FILE_NAME = 'sft-studio.json';

/** Rule severities a project can set; mirrors `RuleSetting` in the checker. */
export type ProjectRuleSetting = 'off' | 'info' | 'warning' | 'error';

export interface ProjectSettings {
  /** Hugging Face model folder, relative to the project file. */
  model?: string;
  /** A catalog template name (`llama3`), or a path to a `.jinja` file relative to the project file. */
  template?: string;
  /** Examples longer than this many tokens are truncated in training (TRL's `max_length`). */
  max_length?: number;
  /** Per-rule severity overrides, by rule code. */
  rules: Record<string, ProjectRuleSetting>;
}

export type ProjectValidation = { ok: true; settings: ProjectSettings } | { ok: false; errors: string[] };

const SETTINGS = new Set(['off', 'info', 'warning', 'error']);

/**
 * Validates parsed `sft-studio.json` content for checking. The training sections are validated
 * too (a typo there is reported wherever the file is read), and an unknown top-level key is an
 * error with a "did you mean"; `isKnownRule` rejects rule codes that do not exist.
 */
export function validateProjectSettings(value: unknown, isKnownRule: (code: string) => boolean): ProjectValidation {
  const errors: string[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: ['the file must contain a JSON object such as {"model": "./my-model", "max_length": 2048}'] };
  }
  const raw = value as Record<string, unknown>;
  const settings: ProjectSettings = { rules: {} };
  for (const key of Object.keys(raw)) {
    if (!(PROJECT_KEYS as readonly string[]).includes(key)) errors.push(unknownKeyMessage(key, key, PROJECT_KEYS));
  }
  for (const section of Object.keys(TRAIN_SECTIONS) as TrainSection[]) validateSection(section, raw[section], errors);
  for (const key of ['dataset', 'eval_dataset', 'output_dir'] as const) {
    const field = raw[key];
    if (field !== undefined && field !== null && (typeof field !== 'string' || field.length === 0)) errors.push(`"${key}" must be a path (a non-empty string), not ${JSON.stringify(field)}`);
  }
  for (const key of ['model', 'template'] as const) {
    const field = raw[key];
    if (field === undefined) continue;
    if (typeof field !== 'string' || field.length === 0) errors.push(`"${key}" must be a non-empty string, not ${JSON.stringify(field)}`);
    else settings[key] = field;
  }
  const maxLength = raw['max_length'];
  if (maxLength !== undefined) {
    if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1) {
      errors.push(`"max_length" must be a positive whole number of tokens, not ${JSON.stringify(maxLength)}`);
    } else {
      settings.max_length = maxLength;
    }
  }
  const rules = raw['rules'];
  if (rules !== undefined) {
    if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) {
      errors.push('"rules" must be an object such as {"length/truncated": "off"}');
    } else {
      for (const [code, setting] of Object.entries(rules as Record<string, unknown>)) {
        if (!isKnownRule(code)) errors.push(`"rules" names an unknown rule "${code}"`);
        else if (typeof setting !== 'string' || !SETTINGS.has(setting)) {
          errors.push(`"rules.${code}" must be "off", "info", "warning" or "error", not ${JSON.stringify(setting)}`);
        } else {
          settings.rules[code] = setting as ProjectRuleSetting;
        }
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings };
}
