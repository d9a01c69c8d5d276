/**
 * Builds what a dataset is checked against from the project file and the command-line flags
 * (flags win): the chat template, the tokenizer, `max_length` and rule overrides, plus the
 * file-level notes that say which checks could not run and how to enable them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_FILE_NAME, validateProjectSettings, type ProjectSettings } from '../../common/projectFile';
import type { CheckContext } from '../checkLine';
import { templateSetupFindings } from '../checks/templateProbe';
import { isRuleCode, type LineFinding, type RuleSetting } from '../rules';
import { loadExampleContext } from './exampleContext';
import { resolveModelReference } from './hubCache';
import { readJsonObject } from './modelFolder';
import { SetupError } from './setupError';

export { DEFAULT_MAX_LENGTH } from '../../common/trainConfig';
import { DEFAULT_MAX_LENGTH } from '../../common/trainConfig';

export interface CheckFlags {
  model?: string;
  template?: string;
  maxLength?: number;
  /** Rule codes switched off for this run. */
  ignore?: readonly string[];
}

export interface CheckSetup {
  context: CheckContext;
  overrides: Record<string, RuleSetting>;
  /** File-level notes about the setup itself (no chat template, skipped checks). */
  notes: LineFinding[];
  /** The project file used, if any. */
  projectFile?: string;
  /** The model as the project file or flag names it (a folder or a hub id), for display. */
  model?: string;
}

/** Finds `sft-studio.json` in `startDir` or the nearest ancestor. */
export function findProjectFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, PROJECT_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function loadProjectSettings(file: string): ProjectSettings {
  const result = validateProjectSettings(readJsonObject(file), isRuleCode);
  if (!result.ok) throw new SetupError(`${file}: ${result.errors.join('; ')}`);
  return result.settings;
}

/** Flags are relative to the working directory; project-file paths to the project file's folder. */
export function loadCheckSetup(datasetDir: string, flags: CheckFlags): CheckSetup {
  const projectFile = findProjectFile(datasetDir);
  const project = projectFile ? loadProjectSettings(projectFile) : { rules: {} };
  const projectDir = projectFile ? path.dirname(projectFile) : process.cwd();
  const modelDir = flags.model ?? (project.model ? resolveModelReference(project.model, projectDir) : undefined);
  const templateName = flags.template ?? project.template;
  const templateBase = flags.template ? process.cwd() : projectDir;

  const maxLength = flags.maxLength ?? project.max_length ?? DEFAULT_MAX_LENGTH;
  const { context, model } = loadExampleContext({ ...(modelDir ? { modelDir } : {}), ...(templateName ? { template: templateName } : {}), templateBase, maxLength });
  const notes: LineFinding[] = [];
  if (model && !context.template) {
    notes.push({
      code: 'template/missing', start: 0, end: 0,
      message: `The model in ${model.dir} has no chat template (a base model?), so chat examples cannot be rendered: pick one with --template NAME (see \`sft-studio templates\`) or set "template" in ${PROJECT_FILE_NAME}`,
    });
  }
  if (context.template) notes.push(...templateSetupFindings(context.template, context.tokenizer));
  const skipped = skippedChecksNote(!!context.template, !!context.tokenizer);
  if (skipped) notes.push(skipped);

  const overrides: Record<string, RuleSetting> = { ...project.rules };
  for (const code of flags.ignore ?? []) {
    if (!isRuleCode(code)) throw new SetupError(`--ignore ${code}: no such rule (codes look like "length/truncated")`);
    overrides[code] = 'off';
  }
  const setup: CheckSetup = { context, overrides, notes };
  if (projectFile) setup.projectFile = projectFile;
  const modelName = flags.model ?? project.model;
  if (modelName) setup.model = modelName;
  return setup;
}

function skippedChecksNote(hasTemplate: boolean, hasTokenizer: boolean): LineFinding | undefined {
  if (hasTemplate && hasTokenizer) return undefined;
  const skipped = [
    ...(hasTemplate ? [] : ['chat template and trained-token mask checks']),
    ...(hasTokenizer ? [] : ['token counts and length checks']),
  ];
  const how = [
    ...(hasTemplate ? [] : ['pass --template NAME (see `sft-studio templates`) or set "template" in sft-studio.json']),
    ...(hasTokenizer ? [] : ['pass --model DIR (a Hugging Face folder with tokenizer.json) or set "model" in sft-studio.json']),
  ].join('; ');
  return { code: 'checks/skipped', start: 0, end: 0, message: `Skipped ${skipped.join(' and ')}: to run them, ${how}` };
}
