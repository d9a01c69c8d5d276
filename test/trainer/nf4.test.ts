/** NF4 storage against the published code (QLoRA paper, bitsandbytes) and its error bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockScales, dequantizeNf4, NF4_BLOCK_SIZE, NF4_LEVELS, nf4Bytes, quantizeNf4 } from '../../src/trainer/model/nf4';
import { seededRandom } from '../../src/trainer/generate';

function normals(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * 0.02;
  return out;
}

test('the 16 levels are the NF4 code of bitsandbytes: -1, 0 and 1 exactly, 7 below and 8 above zero', () => {
  assert.equal(NF4_LEVELS.length, 16);
  assert.equal(NF4_LEVELS[0], -1);
  assert.equal(NF4_LEVELS[7], 0);
  assert.equal(NF4_LEVELS[15], 1);
  assert.equal(NF4_LEVELS[1], -0.6961928009986877);
  assert.equal(NF4_LEVELS[8], 0.07958029955625534);
  assert.equal(NF4_LEVELS[14], 0.7229568362236023);
  for (let i = 1; i < 16; i++) assert.ok(NF4_LEVELS[i]! > NF4_LEVELS[i - 1]!);
});

test('every level round-trips exactly, scaled by the block absmax', () => {
  const values = Float32Array.from(NF4_LEVELS, (level) => level * 0.5);
  const padded = new Float32Array(NF4_BLOCK_SIZE);
  padded.set(values);
  const restored = dequantizeNf4(quantizeNf4(padded, [1, NF4_BLOCK_SIZE], false));
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(restored[i]! - values[i]!) < 1e-7, `level ${i}`);
});

test('each value dequantizes to its nearest level: error at most half the widest gap times the block absmax', () => {
  const rows = 64;
  const cols = 96;
  const values = normals(rows * cols, 3);
  const quantized = quantizeNf4(values, [rows, cols], false);
  const restored = dequantizeNf4(quantized);
  const scales = blockScales(quantized);
  const widestGap = Math.max(...NF4_LEVELS.slice(1).map((level, i) => level - NF4_LEVELS[i]!));
  let squared = 0;
  for (let i = 0; i < values.length; i++) {
    const scale = scales[Math.floor(i / NF4_BLOCK_SIZE)]!;
    const error = Math.abs(restored[i]! - values[i]!);
    assert.ok(error <= (widestGap / 2) * scale + 1e-7, `value ${i}: error ${error}`);
    // No other level is closer than the chosen one.
    const normalized = values[i]! / scale;
    const best = Math.min(...NF4_LEVELS.map((level) => Math.abs(level - normalized)));
    assert.ok(Math.abs(Math.abs(restored[i]! / scale - normalized) - best) < 1e-5);
    squared += (restored[i]! - values[i]!) ** 2;
  }
  // For normal weights NF4's relative RMS error is about 0.1 (QLoRA, Dettmers et al. 2023).
  const rms = Math.sqrt(squared / values.length) / 0.02;
  assert.ok(rms > 0.05 && rms < 0.15, `relative RMS error ${rms}`);
});

test('transposed dequantization is the transpose, and packing holds two values a byte', () => {
  const values = normals(8 * 80, 5);
  const quantized = quantizeNf4(values, [8, 80], false);
  assert.equal(quantized.packed.length, 320);
  const plain = dequantizeNf4(quantized);
  const transposed = dequantizeNf4(quantized, true);
  for (let r = 0; r < 8; r++) for (let c = 0; c < 80; c++) assert.equal(transposed[c * 8 + r], plain[r * 80 + c]);
});

test('double quantization keeps the scales within 1% and stores about 4.13 bits a weight', () => {
  const values = normals(256 * 256, 9);
  const single = quantizeNf4(values, [256, 256], false);
  const double = quantizeNf4(values, [256, 256], true);
  const a = blockScales(single);
  const b = blockScales(double);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 0.01 * a[i]!, `scale ${i}: ${a[i]} vs ${b[i]}`);
  const bitsSingle = (8 * nf4Bytes(single)) / values.length;
  const bitsDouble = (8 * nf4Bytes(double)) / values.length;
  assert.ok(Math.abs(bitsSingle - 4.5) < 0.01, `${bitsSingle} bits`);
  assert.ok(bitsDouble < 4.15, `${bitsDouble} bits`);
});
