/** Training settings: defaults, every kind of bad value, unknown keys, and --set overrides. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTrainConfig } from '../../src/common/resolveTrainConfig';
import { didYouMean } from '../../src/common/didYouMean';
import { DEFAULT_MAX_LENGTH, sectionDefaults } from '../../src/common/trainConfig';
import { isRuleCode } from '../../src/dataset/rules';

const resolve = (raw: unknown, sets: string[] = []): ReturnType<typeof resolveTrainConfig> => resolveTrainConfig(raw, sets, isRuleCode, 'runs/default');
const errorsOf = (raw: unknown, sets: string[] = []): string[] => {
  const result = resolve(raw, sets);
  assert.ok(!result.ok, 'expected errors');
  return result.errors;
};

test('only model and dataset are required; every other field takes its documented default', () => {
  const result = resolve({ model: './m', dataset: 'd.sft.jsonl' });
  assert.ok(result.ok);
  const { config } = result;
  assert.equal(config.max_length, DEFAULT_MAX_LENGTH);
  assert.equal(config.output_dir, 'runs/default');
  assert.equal(config.eval_dataset, null);
  assert.deepEqual(config.lora, { r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], bias: 'none', use_rslora: false });
  assert.deepEqual(config.quantization, { load_in_4bit: false, bnb_4bit_quant_type: 'nf4', bnb_4bit_use_double_quant: false });
  assert.equal(config.training.learning_rate, 2e-4);
  assert.equal(config.training.gradient_accumulation_steps, 4);
  assert.equal(config.training.eval_steps, null);
  assert.deepEqual(config.samples, sectionDefaults('samples'));
});

test('missing model and dataset say what to set', () => {
  const errors = errorsOf({});
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /"model" is missing/);
  assert.match(errors[1]!, /"dataset" is missing/);
});

test('a bad value names the field, the value and what is allowed', () => {
  const errors = errorsOf({
    model: 'm', dataset: 'd',
    lora: { r: 0, lora_alpha: -1, lora_dropout: 1.5, target_modules: ['q_proj', 'qproj'], bias: 'all', use_rslora: 'yes' },
    quantization: { bnb_4bit_quant_type: 'fp4' },
    training: { learning_rate: 0, lr_scheduler_type: 'cosine_with_restarts', per_device_train_batch_size: 2.5, save_strategy: 'best', eval_steps: 0 },
    samples: { prompts: 'Hi' },
  });
  assert.deepEqual(errors, [
    '"lora.r" is 0, but it must be a whole number from 1 to 1024',
    '"lora.lora_alpha" is -1, but it must be a number above 0',
    '"lora.lora_dropout" is 1.5, but it must be a number from 0 to 0.99',
    '"lora.target_modules" names "qproj", which is not a linear layer of this model (did you mean "q_proj"?); use "all-linear" or a non-empty list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj',
    '"lora.bias" is "all", but it must be one of "none"',
    '"lora.use_rslora" is "yes", but it must be true or false',
    '"quantization.bnb_4bit_quant_type" is "fp4", but it must be one of "nf4"',
    '"training.learning_rate" is 0, but it must be a number above 0 and at most 1',
    '"training.lr_scheduler_type" is "cosine_with_restarts", but it must be one of "linear", "cosine", "constant", "constant_with_warmup"',
    '"training.per_device_train_batch_size" is 2.5, but it must be a whole number from 1 to 1024',
    '"training.save_strategy" is "best", but it must be one of "no", "steps", "epoch"',
    '"training.eval_steps" is 0, but it must be a whole number at least 1, or null',
    '"samples.prompts" is "Hi", but it must be a list of strings',
  ]);
});

test('unknown keys are errors with a "did you mean", at the top level and in every section', () => {
  const errors = errorsOf({ modle: 'm', model: 'm', dataset: 'd', lora: { lora_alhpa: 16 }, training: { learnign_rate: 1e-4, epochs: 3 }, quantisation: {} });
  assert.ok(errors.includes('"modle" is not a setting: did you mean "model"?'), errors.join('\n'));
  assert.ok(errors.includes('"lora.lora_alhpa" is not a setting: did you mean "lora_alpha"?'));
  assert.ok(errors.includes('"training.learnign_rate" is not a setting: did you mean "learning_rate"?'));
  assert.ok(errors.includes('"quantisation" is not a setting: did you mean "quantization"?'));
  assert.ok(errors.some((e) => e.startsWith('"training.epochs" is not a setting; known here: num_train_epochs')));
  assert.equal(didYouMean('lora_alhpa', ['r', 'lora_alpha', 'lora_dropout']), 'lora_alpha');
  assert.equal(didYouMean('zzz', ['r', 'lora_alpha']), undefined);
});

test('--set overrides parse numbers, booleans, lists and paths, and are checked like the file', () => {
  const result = resolve({ model: 'm', dataset: 'd', training: { learning_rate: 1e-4 } }, [
    'training.learning_rate=3e-4', 'quantization.load_in_4bit=true', 'lora.target_modules=q_proj,v_proj', 'samples.prompts=Hello there',
    'output_dir=runs/123', 'max_length=256', 'lora.target_modules=all-linear',
  ]);
  assert.ok(result.ok);
  assert.equal(result.config.training.learning_rate, 3e-4);
  assert.equal(result.config.quantization.load_in_4bit, true);
  assert.equal(result.config.lora.target_modules, 'all-linear');
  assert.deepEqual(result.config.samples.prompts, ['Hello there']);
  assert.equal(result.config.output_dir, 'runs/123');
  assert.equal(result.config.max_length, 256);
  assert.deepEqual(errorsOf({ model: 'm', dataset: 'd' }, ['training.lerning_rate=1', 'lora=3', 'epochs=2', 'training.seed=-4', 'nonsense']), [
    '--set training.lerning_rate=1: "training.lerning_rate" is not a setting: did you mean "learning_rate"?',
    '--set lora=3: "lora" is a section; set one of its keys, such as lora.r=...',
    '--set epochs=2: "epochs" is not a setting; known here: model, dataset, eval_dataset, output_dir, template, max_length, lora.<key>, quantization.<key>, training.<key>, samples.<key>',
    '--set training.seed=-4: "training.seed" is -4, but it must be a whole number at least 0',
    '--set nonsense: write it as section.key=value, such as training.learning_rate=1e-4',
  ]);
});
