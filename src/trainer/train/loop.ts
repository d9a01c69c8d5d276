/**
 * The training loop: data through the checker's seam, LoRA (or QLoRA) adapters on the model,
 * AdamW over the adapters only, with the run folder as the record: every event goes to
 * `events.ndjson`, checkpoints to `checkpoint-<step>/` per `save_strategy`, and the adapter to
 * `final/`. A stop request saves within one step; a resumed run replays the same data order and
 * dropout masks from its last checkpoint, so its losses equal an uninterrupted run's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { errorMessage, UserError } from '../../common/errors';
import type { TrainConfig } from '../../common/trainConfig';
import { TRAINER_PROTOCOL_VERSION, type MemoryUse, type StepEvent } from '../../common/trainerProtocol';
import type { ExampleContext } from '../../dataset/example';
import type { BackendChoice } from '../backend';
import { generate } from '../generate';
import { LlamaModel } from '../model/llama';
import { attachLora, type LoraAdapter } from '../model/lora';
import { loadAdapter, saveAdapter } from '../peftAdapter';
import { preparePrompt } from '../prompt';
import { checkpointName, RUN_FILES, writeFileAtomic, type EventLog } from '../runFolder';
import { SafetensorsFile, writeSafetensors } from '../weights/safetensors';
import { epochBatches, loadDataset, type LoadedDataset, type MicroBatch } from './batches';
import { AdamW } from './optimizer';
import { learningRateAt } from './schedule';
import { evaluate, trainStep } from './step';

export interface TrainingRequest {
  /** Resolved settings: paths absolute. */
  config: TrainConfig;
  modelDir: string;
  context: ExampleContext;
  runDir: string;
  events: EventLog;
  backend: BackendChoice;
  /** Continue from this checkpoint folder. */
  resumeFrom?: string;
  /** Polled after every step: true saves and ends the run `stopped`. */
  shouldStop(): boolean;
  /** Prompts asked for by a `sample` command since the last poll. */
  takeSampleRequests(): string[];
  onStep?(event: StepEvent, totalSteps: number): void;
}

export interface TrainingOutcome {
  status: 'completed' | 'stopped';
  step: number;
  adapterDir: string;
  dataset: LoadedDataset;
}

export class TrainingError extends UserError {
  override readonly name = 'TrainingError';
}

const OPTIMIZER_FILE = 'optimizer.safetensors';

export async function runTraining(request: TrainingRequest): Promise<TrainingOutcome> {
  const { config, events } = request;
  const started = performance.now();
  const settings = config.training;
  const dataset = loadDataset(config.dataset, request.context, settings.assistant_only_loss);
  if (dataset.examples.length === 0) throw new TrainingError(noExamplesMessage(config.dataset, dataset));
  const evalSet = config.eval_dataset ? loadDataset(config.eval_dataset, request.context, settings.assistant_only_loss) : undefined;

  const model = LlamaModel.load(request.modelDir, config.quantization.load_in_4bit ? { nf4: { doubleQuant: config.quantization.bnb_4bit_use_double_quant } } : {});
  let adapter: LoraAdapter | undefined;
  let optimizer: AdamW | undefined;
  try {
    adapter = attachLora(model, config.lora, settings.seed);
    optimizer = new AdamW(adapter.variables(), adapter.variableNames(), settings.weight_decay);
    const padId = request.context.tokenizer!.tokenId(request.context.tokenizer!.eosToken ?? '') ?? 0;
    const batching = { batchSize: settings.per_device_train_batch_size, packing: settings.packing, maxLength: config.max_length, padId, seed: settings.seed };
    const batchesOf = (epoch: number): MicroBatch[] => epochBatches(dataset.examples, epoch, batching);
    const accumulation = settings.gradient_accumulation_steps;
    // Every epoch has as many batches as the first (epochBatches says why), which is built once.
    const firstEpoch = batchesOf(0);
    const stepsPerEpoch = Math.max(1, Math.ceil(firstEpoch.length / accumulation));
    const totalSteps = settings.max_steps > 0 ? settings.max_steps : Math.max(1, Math.ceil(settings.num_train_epochs * stepsPerEpoch));
    const evalBatches = evalSet && evalSet.examples.length > 0
      ? epochBatches(evalSet.examples, 0, { ...batching, packing: false }, false)
      : undefined;

    let step = 0;
    if (request.resumeFrom) step = restoreCheckpoint(request.resumeFrom, adapter, optimizer);
    // As peft's print_trainable_parameters counts: the base model plus the adapters.
    const totalParameters = model.parameterCount() + adapter.trainableParameters();
    events.write({
      type: 'started', protocol: TRAINER_PROTOCOL_VERSION, time: new Date().toISOString(), backend: request.backend.name, backendSkipped: request.backend.skipped,
      trainableParameters: adapter.trainableParameters(), totalParameters,
      dataset: { examples: dataset.examples.length, skipped: dataset.skipped.length, trainedTokens: dataset.trainedTokens, tokens: dataset.tokens },
      ...(evalSet ? { evalDataset: { examples: evalSet.examples.length, skipped: evalSet.skipped.length } } : {}),
      totalSteps, resumedFromStep: step,
    });

    const saveCheckpoint = async (): Promise<void> => {
      const dir = path.join(request.runDir, checkpointName(step));
      await saveAdapter(dir, adapter!, adapterOptions(request));
      writeSafetensors(path.join(dir, OPTIMIZER_FILE), await optimizer!.state());
      writeFileAtomic(path.join(dir, RUN_FILES.state), `${JSON.stringify({ global_step: step, epoch: step / stepsPerEpoch, total_steps: totalSteps }, null, 2)}\n`);
      events.write({ type: 'checkpoint', step, path: checkpointName(step) });
    };
    const samples = async (prompts: readonly string[]): Promise<void> => {
      for (const prompt of prompts) events.write({ type: 'sample', step, prompt, output: await sampleReply(model, request.context, prompt, config.samples.max_new_tokens) });
    };

    let window = { loss: 0, steps: 0, tokens: 0, seconds: 0 };
    let trainedSoFar = 0;
    let stopped = false;
    for (let epoch = 0; step < totalSteps && !stopped; epoch++) {
      const batches = epoch === 0 ? firstEpoch : batchesOf(epoch);
      const epochSteps = Math.ceil(batches.length / accumulation);
      const firstStep = epoch * stepsPerEpoch;
      for (let s = Math.max(0, step - firstStep); s < epochSteps && step < totalSteps; s++) {
        const stepStarted = performance.now();
        const learningRate = learningRateAt(step, totalSteps, settings);
        const result = await trainStep(model, adapter, optimizer, batches.slice(s * accumulation, (s + 1) * accumulation), {
          learningRate, maxGradNorm: settings.max_grad_norm, gradientCheckpointing: settings.gradient_checkpointing, dropoutSeed: settings.seed * 100003 + step,
        });
        step++;
        trainedSoFar += result.trainedTokens;
        window = { loss: window.loss + result.loss, steps: window.steps + 1, tokens: window.tokens + result.tokens, seconds: window.seconds + (performance.now() - stepStarted) / 1000 };
        const epochProgress = epoch + (s + 1) / epochSteps;
        if (step % settings.logging_steps === 0 || step === totalSteps || step === 1) {
          const event: StepEvent = {
            type: 'step', step, epoch: round(epochProgress), loss: window.loss / window.steps, learning_rate: learningRate, grad_norm: result.gradNorm,
            tokens_per_second: window.tokens / Math.max(window.seconds, 1e-9), trained_tokens: trainedSoFar, memory: memoryUse(), elapsed_seconds: (performance.now() - started) / 1000,
          };
          events.write(event);
          request.onStep?.(event, totalSteps);
          window = { loss: 0, steps: 0, tokens: 0, seconds: 0 };
        }
        const endOfEpoch = s === epochSteps - 1;
        if (evalBatches && ((settings.eval_steps !== null && step % settings.eval_steps === 0) || (settings.eval_steps === null && endOfEpoch))) {
          events.write({ type: 'eval', step, epoch: round(epochProgress), eval_loss: await evaluate(model, adapter, evalBatches) });
        }
        // WASM reads resolve as microtasks, so without this the process would never see stdin
        // commands or signals until the run ended.
        await yieldToEventLoop();
        const requested = request.takeSampleRequests();
        if (config.samples.prompts.length > 0 && step % config.samples.every_n_steps === 0 && step < totalSteps) await samples(config.samples.prompts);
        if (requested.length > 0) await samples(requested);
        stopped = request.shouldStop();
        const strategy = settings.save_strategy;
        if (stopped || (strategy === 'steps' && step % settings.save_steps === 0) || (strategy === 'epoch' && endOfEpoch)) await saveCheckpoint();
        if (stopped) break;
      }
    }
    if (!stopped) await samples(config.samples.prompts);
    const adapterDir = path.join(request.runDir, RUN_FILES.final);
    await saveAdapter(adapterDir, adapter, adapterOptions(request));
    events.write({ type: stopped ? 'stopped' : 'completed', step, adapter: RUN_FILES.final, skippedExamples: dataset.skipped.length, elapsed_seconds: (performance.now() - started) / 1000, ...(stopped ? { reason: 'stop requested' } : {}) });
    return { status: stopped ? 'stopped' : 'completed', step, adapterDir, dataset };
  } catch (error) {
    throw outOfMemory(error, request.backend.name, config) ?? error;
  } finally {
    optimizer?.dispose();
    adapter?.detach();
    model.dispose();
  }
}

function adapterOptions(request: TrainingRequest): Parameters<typeof saveAdapter>[2] {
  const template = request.context.template?.info.source;
  return { lora: request.config.lora, baseModel: request.config.model, modelDir: request.modelDir, ...(template !== undefined ? { chatTemplate: template } : {}) };
}

/** Loads a checkpoint's adapter weights and optimizer state; returns its step. */
function restoreCheckpoint(dir: string, adapter: LoraAdapter, optimizer: AdamW): number {
  const statePath = path.join(dir, RUN_FILES.state);
  let step: number;
  try {
    step = (JSON.parse(fs.readFileSync(statePath, 'utf8')) as { global_step: number }).global_step;
  } catch (error) {
    throw new TrainingError(`Cannot resume from ${dir}: ${RUN_FILES.state} is unreadable (${errorMessage(error)})`);
  }
  const saved = loadAdapter(dir);
  for (const { name, lora } of adapter.modules) {
    const weights = saved.weights.get(name);
    if (!weights || weights.rank !== lora.rank) throw new TrainingError(`Cannot resume from ${dir}: it has no adapter of rank ${lora.rank} for ${name}; the run's settings changed`);
    tf.tidy(() => {
      lora.loraAT.assign(tf.tensor2d(weights.aT, lora.loraAT.shape));
      lora.loraBT.assign(tf.tensor2d(weights.bT, lora.loraBT.shape));
    });
  }
  const file = SafetensorsFile.open(path.join(dir, OPTIMIZER_FILE));
  try {
    optimizer.restore(step, (name) => (file.tensors.has(name) ? file.read(name).values : undefined));
  } catch (error) {
    throw new TrainingError(`Cannot resume from ${dir}: ${errorMessage(error)}`);
  } finally {
    file.close();
  }
  return step;
}

async function sampleReply(model: LlamaModel, context: ExampleContext, prompt: string, maxNewTokens: number): Promise<string> {
  const prepared = preparePrompt(context, { prompt }, model.config.eosTokenIds);
  const result = await generate(model, prepared.ids, { maxNewTokens, temperature: 0, topP: 1, seed: 1, stopIds: prepared.stopIds });
  return prepared.tokenizer.decode(result.ids, { skipSpecialTokens: true });
}

/**
 * The WASM backend's heap cannot grow past 4 GB (32-bit addresses), and running out aborts inside
 * the WebAssembly module with a message that names nothing; say what happened and what helps.
 */
function outOfMemory(error: unknown, backend: string, config: TrainConfig): TrainingError | undefined {
  const message = errorMessage(error);
  if (!/memory access out of bounds|Aborted\(|Cannot enlarge memory|Out of memory/i.test(message)) return undefined;
  const remedies = [
    ...(config.training.gradient_checkpointing ? [] : ['set training.gradient_checkpointing to true']),
    'lower max_length or per_device_train_batch_size',
    ...(config.quantization.load_in_4bit ? [] : ['train QLoRA (quantization.load_in_4bit)']),
  ];
  return new TrainingError(`The ${backend} backend ran out of memory (${message.split('.')[0]}; a WebAssembly heap cannot pass 4 GB): ${remedies.join(', or ')}`);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function memoryUse(): MemoryUse {
  return { rss: process.memoryUsage().rss, backendBytes: tf.memory().numBytes };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function noExamplesMessage(file: string, dataset: LoadedDataset): string {
  const first = dataset.skipped[0];
  if (!first) return `${file} holds no examples: add one JSON example per line`;
  return `${file} has no usable example: all ${dataset.skipped.length} lines were skipped (line ${first.line + 1}: ${first.finding.message}). Run \`sft-studio check ${file}\` to see every problem`;
}
