import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelConfig, ropeInverseFrequencies } from '../../src/trainer/model/config';

const BASE = { model_type: 'llama', vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, eos_token_id: [2, 3] };

test('the four architectures normalise to one shape', () => {
  const llama = parseModelConfig(BASE, 'config.json');
  assert.equal(llama.headDim, 16);
  assert.deepEqual(llama.eosTokenIds, [2, 3]);
  assert.equal(llama.qkvBias, false);
  assert.equal(parseModelConfig({ ...BASE, model_type: 'qwen2' }, 'c').qkvBias, true);
  assert.equal(parseModelConfig({ ...BASE, model_type: 'mistral', sliding_window: 4096 }, 'c').slidingWindow, 4096);
  assert.equal(parseModelConfig({ ...BASE, model_type: 'qwen2', sliding_window: 4096, use_sliding_window: false }, 'c').slidingWindow, undefined);
  assert.equal(parseModelConfig({ ...BASE, model_type: 'phi3' }, 'c').architecture, 'phi3');
  assert.equal(parseModelConfig({ ...BASE, num_key_value_heads: undefined }, 'c').numKvHeads, 4);
  assert.equal(parseModelConfig({ ...BASE, head_dim: 32 }, 'c').headDim, 32);
});

test('unsupported or inconsistent configs are clear errors', () => {
  const cases: Array<[object, RegExp]> = [
    [{ ...BASE, model_type: 'gpt2' }, /model_type "gpt2" is not supported; supported are llama, mistral, qwen2, phi3/],
    [{ ...BASE, hidden_size: 'big' }, /"hidden_size" must be a positive whole number/],
    [{ ...BASE, num_key_value_heads: 3 }, /multiple of num_key_value_heads/],
    [{ ...BASE, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling of type "yarn" is not supported/],
    [{ ...BASE, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /rope_scaling.low_freq_factor/],
    [{ ...BASE, model_type: 'phi3', partial_rotary_factor: 0.5 }, /partial_rotary_factor/],
    [[], /must be a JSON object/],
  ];
  for (const [config, message] of cases) assert.throws(() => parseModelConfig(config, 'config.json'), message);
});

test('Llama 3 RoPE scaling matches transformers for low, medium and high frequencies', () => {
  const config = parseModelConfig({ ...BASE, hidden_size: 512, num_attention_heads: 4, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }, 'c');
  const scaled = ropeInverseFrequencies(config);
  const { ropeScaling: _unused, ...unscaled } = config;
  const plain = ropeInverseFrequencies(unscaled);
  assert.equal(scaled.length, 64);
  assert.equal(scaled[0], plain[0]); // wavelength 2π < 2048: high frequency, unchanged
  assert.ok(Math.abs(scaled[63]! - plain[63]! / 8) < 1e-20); // wavelength far above 8192: divided by the factor
  // A medium frequency is interpolated between the two.
  const medium = [...plain].findIndex((f) => { const w = (2 * Math.PI) / f; return w >= 2048 && w <= 8192; });
  assert.ok(medium > 0);
  assert.ok(scaled[medium]! < plain[medium]! && scaled[medium]! > plain[medium]! / 8);
});
