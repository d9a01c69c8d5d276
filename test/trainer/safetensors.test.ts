import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { SafetensorsFile, toBf16Bits, toFloat32, WeightsError, writeSafetensors } from '../../src/trainer/weights/safetensors';
import { ModelWeights } from '../../src/trainer/weights/modelWeights';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-st-'));
const values = Float32Array.from([0, 1, -2.5, 3.140625, 1e-3, -65504, 7, 0.1]);

test('F32 and BF16 round-trip; headers are 8-byte aligned', () => {
  const file = path.join(dir, 'a.safetensors');
  writeSafetensors(file, new Map([['w', { shape: [2, 4], values }], ['b', { shape: [8], values, dtype: 'BF16' }]]), { format: 'pt' });
  const bytes = fs.readFileSync(file);
  assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0);
  const opened = SafetensorsFile.open(file);
  assert.deepEqual(opened.metadata, { format: 'pt' });
  assert.deepEqual(Array.from(opened.read('w').values), Array.from(values));
  assert.deepEqual(opened.read('w').shape, [2, 4]);
  const bf16 = opened.read('b').values;
  assert.deepEqual(Array.from(bf16), Array.from(toFloat32(Buffer.from(toBf16Bits(values).buffer), 'BF16')));
  assert.equal(bf16[3], 3.140625); // exactly representable in bfloat16
  assert.ok(Math.abs(bf16[7]! - 0.1) < 1e-3 && bf16[7] !== Math.fround(0.1));
  opened.close();
});

test('F16 converts as IEEE half precision', () => {
  const half = Buffer.from(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]).buffer);
  assert.deepEqual(Array.from(toFloat32(half, 'F16')), [1, -2, 65504, 2 ** -24, Infinity]);
});

test('truncated, malformed and unsupported files are clear errors', () => {
  const good = path.join(dir, 'good.safetensors');
  writeSafetensors(good, new Map([['w', { shape: [2, 4], values }]]));
  const bytes = fs.readFileSync(good);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['truncated', bytes.subarray(0, bytes.length - 4), /truncated/],
    ['tiny', Buffer.from([1, 2]), /too short/],
    ['huge header', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0]), Buffer.alloc(16)]), /not a safetensors file/],
    ['not json', Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('nope')]), /not JSON/],
  ];
  const header = (h: object): Buffer => {
    const text = Buffer.from(JSON.stringify(h));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(text.length));
    return Buffer.concat([length, text, Buffer.alloc(64)]);
  };
  cases.push(['int64', header({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }), /only F32, F16 and BF16/]);
  cases.push(['shape mismatch', header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), /do not match its shape/]);
  for (const [name, content, message] of cases) {
    const file = path.join(dir, `${name}.safetensors`);
    fs.writeFileSync(file, content);
    assert.throws(() => SafetensorsFile.open(file), (error: unknown) => error instanceof WeightsError && message.test(error.message), name);
  }
});

test('sharded weights: every shard the index names must exist and hold its tensors', () => {
  const model = path.join(dir, 'sharded');
  fs.mkdirSync(model);
  writeSafetensors(path.join(model, 'a.safetensors'), new Map([['x', { shape: [8], values }]]));
  writeSafetensors(path.join(model, 'b.safetensors'), new Map([['y', { shape: [2, 4], values }]]));
  const index = (map: Record<string, string>): void => fs.writeFileSync(path.join(model, 'model.safetensors.index.json'), JSON.stringify({ weight_map: map }));
  index({ x: 'a.safetensors', y: 'b.safetensors' });
  const weights = ModelWeights.open(model);
  assert.deepEqual(Array.from(weights.read('y', [2, 4])), Array.from(values));
  assert.throws(() => weights.read('y', [4, 2]), /has shape \[2, 4\] but config.json implies \[4, 2\]/);
  weights.close();
  index({ x: 'a.safetensors', y: 'c.safetensors' });
  assert.throws(() => ModelWeights.open(model), /Shard c.safetensors, listed in model.safetensors.index.json, is missing/);
  index({ x: 'a.safetensors', y: 'a.safetensors' });
  assert.throws(() => ModelWeights.open(model), /does not contain "y"/);
  fs.rmSync(path.join(model, 'model.safetensors.index.json'));
  assert.throws(() => ModelWeights.open(model), /no model.safetensors/);
});
