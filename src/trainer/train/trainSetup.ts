/**
 * From a project file (or a run folder to resume) to everything a run needs, checked before any
 * weight is loaded: the resolved settings with absolute paths, the model folder, the chat
 * template and tokenizer (the checker's own reader), and the run folder with its `config.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_FILE_NAME } from '../../common/projectFile';
import { resolveTrainConfig } from '../../common/resolveTrainConfig';
import type { TrainConfig } from '../../common/trainConfig';
import type { ExampleContext } from '../../dataset/example';
import { findProjectFile } from '../../dataset/load/checkSetup';
import { loadExampleContext } from '../../dataset/load/exampleContext';
import { resolveModelReference } from '../../dataset/load/hubCache';
import { readJsonObject } from '../../dataset/load/modelFolder';
import { isRuleCode } from '../../dataset/rules';
import { readModelConfig } from '../model/config';
import { latestCheckpoint, RUN_FILES, writeFileAtomic } from '../runFolder';
import { TrainingError } from './loop';

export interface TrainSetupRequest {
  /** A project file of any name; default: sft-studio.json from the working folder upwards. */
  configFile?: string;
  sets: readonly string[];
  outputDir?: string;
  /** A run folder to continue from its last checkpoint. */
  resume?: string;
  cwd: string;
}

export interface TrainSetup {
  config: TrainConfig;
  modelDir: string;
  context: ExampleContext;
  runDir: string;
  resumeFrom?: string;
  projectFile?: string;
}

export function prepareTraining(request: TrainSetupRequest): TrainSetup {
  if (request.resume) return prepareResume(request.resume, request.cwd);
  const projectFile = request.configFile ? path.resolve(request.cwd, request.configFile) : findProjectFile(request.cwd);
  if (request.configFile && !fs.existsSync(projectFile!)) throw new TrainingError(`No such project file: ${request.configFile}`);
  if (!projectFile && request.sets.length === 0) {
    throw new TrainingError(`No ${PROJECT_FILE_NAME} in ${request.cwd} or above: create one with "model" and "dataset" (see the README), pass its path, or use --set model=DIR --set dataset=FILE`);
  }
  const baseDir = projectFile ? path.dirname(projectFile) : request.cwd;
  const raw = projectFile ? readJsonObject(projectFile) : {};
  const sets = request.outputDir ? [...request.sets, `output_dir=${path.resolve(request.cwd, request.outputDir)}`] : request.sets;
  const resolved = resolveTrainConfig(raw, sets, isRuleCode, '');
  if (!resolved.ok) throw new TrainingError(`${projectFile ?? 'the settings'} cannot train:\n  - ${resolved.errors.join('\n  - ')}`);
  const written = resolved.config;
  const datasetName = path.basename(written.dataset).replace(/(\.sft)?\.jsonl$/i, '');
  // Paths become absolute, so the run folder's config.json means the same from anywhere.
  const config: TrainConfig = {
    ...written,
    dataset: existingFile(path.resolve(baseDir, written.dataset), 'dataset'),
    eval_dataset: written.eval_dataset === null ? null : existingFile(path.resolve(baseDir, written.eval_dataset), 'eval_dataset'),
    output_dir: path.resolve(baseDir, written.output_dir || path.join('runs', `${datasetName}-${timestamp()}`)),
  };
  const modelDir = resolveModelReference(config.model, baseDir);
  const context = loadContext(config, modelDir, baseDir);
  const runDir = config.output_dir;
  if (fs.existsSync(path.join(runDir, RUN_FILES.events))) {
    throw new TrainingError(`${runDir} already holds a run: continue it with --resume ${runDir}, or choose another --output-dir`);
  }
  fs.mkdirSync(runDir, { recursive: true });
  writeFileAtomic(path.join(runDir, RUN_FILES.config), `${JSON.stringify({ ...config, model_path: modelDir, template_base: baseDir }, null, 2)}\n`);
  return { config, modelDir, context, runDir, ...(projectFile ? { projectFile } : {}) };
}

/** A run folder's own `config.json` is what a resumed run trains with. */
function prepareResume(runDirArg: string, cwd: string): TrainSetup {
  const runDir = path.resolve(cwd, runDirArg);
  const configPath = path.join(runDir, RUN_FILES.config);
  if (!fs.existsSync(configPath)) throw new TrainingError(`${runDir} is not a run folder (it has no ${RUN_FILES.config})`);
  const saved = readJsonObject(configPath) as unknown as TrainConfig & { model_path: string; template_base: string };
  const checkpoint = latestCheckpoint(runDir);
  if (!checkpoint) throw new TrainingError(`${runDir} has no complete checkpoint to resume from; start a new run instead`);
  const context = loadContext(saved, saved.model_path, saved.template_base);
  return { config: saved, modelDir: saved.model_path, context, runDir, resumeFrom: checkpoint.dir };
}

function loadContext(config: TrainConfig, modelDir: string, templateBase: string): ExampleContext {
  // config.json is read (and the architecture checked) before any weight is.
  if (readModelConfig(modelDir).architecture === 'phi3') {
    throw new TrainingError('LoRA training supports llama, mistral and qwen2 models; Phi-3 fuses its projections (qkv_proj, gate_up_proj), which is not supported yet');
  }
  const { context } = loadExampleContext({ modelDir, ...(config.template ? { template: config.template } : {}), templateBase, maxLength: config.max_length });
  if (!context.tokenizer) throw new TrainingError(`${modelDir} has no tokenizer.json, which training needs`);
  if (!context.template) throw new TrainingError(`${modelDir} has no chat template: set "template" in ${PROJECT_FILE_NAME} (see \`sft-studio templates\`)`);
  return context;
}

function existingFile(file: string, key: string): string {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new TrainingError(`"${key}" names ${file}, which does not exist`);
  return file;
}

function timestamp(date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}
