/**
 * 4-bit NormalFloat (NF4) storage of frozen weights, as in QLoRA (Dettmers et al. 2023) and
 * bitsandbytes: the row-major weight is cut into blocks of 64 values; each block keeps its
 * absolute maximum as a scale and each value the index (4 bits) of the nearest of 16 levels,
 * the quantiles of a standard normal distribution normalised to [-1, 1]. Two indices share a
 * byte, first in the high half as bitsandbytes packs them.
 *
 * Double quantization compresses the scales themselves: their mean is subtracted and the rest is
 * stored as 8-bit integers with one float scale per block of 256 scales (bitsandbytes uses the
 * same blocking with its dynamic 8-bit code; this uses a linear code), about 0.37 bits a weight.
 */

/** bitsandbytes' NF4 code (`get_4bit_type("nf4")`), ascending. */
export const NF4_LEVELS: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

export const NF4_BLOCK_SIZE = 64;
const SCALE_BLOCK_SIZE = 256;

const LEVELS = Float32Array.from(NF4_LEVELS);
/** Midpoints between neighbouring levels: a value's index is how many midpoints lie below it. */
const MIDPOINTS = Float32Array.from(NF4_LEVELS.slice(1), (level, i) => (level + NF4_LEVELS[i]!) / 2);

/** Scales of each block, plain or double-quantized. */
type BlockScales =
  | { kind: 'f32'; values: Float32Array }
  | { kind: 'int8'; codes: Int8Array; blockScales: Float32Array; offset: number };

export interface Nf4Tensor {
  shape: [number, number];
  /** Two 4-bit indices a byte. */
  packed: Uint8Array;
  scales: BlockScales;
}

export function quantizeNf4(values: Float32Array, shape: [number, number], doubleQuant: boolean): Nf4Tensor {
  const count = values.length;
  const blocks = Math.ceil(count / NF4_BLOCK_SIZE);
  const absmax = new Float32Array(blocks);
  const packed = new Uint8Array(Math.ceil(count / 2));
  for (let b = 0; b < blocks; b++) {
    const from = b * NF4_BLOCK_SIZE;
    const to = Math.min(count, from + NF4_BLOCK_SIZE);
    let max = 0;
    for (let i = from; i < to; i++) max = Math.max(max, Math.abs(values[i]!));
    absmax[b] = max;
    const inverse = max > 0 ? 1 / max : 0;
    for (let i = from; i < to; i++) {
      const index = nearestLevel(values[i]! * inverse);
      packed[i >> 1]! |= (i & 1) === 0 ? index << 4 : index;
    }
  }
  return { shape, packed, scales: doubleQuant ? quantizeScales(absmax) : { kind: 'f32', values: absmax } };
}

function nearestLevel(x: number): number {
  let index = 0;
  while (index < 15 && x > MIDPOINTS[index]!) index++;
  return index;
}

function quantizeScales(absmax: Float32Array): BlockScales {
  let sum = 0;
  for (const value of absmax) sum += value;
  const offset = absmax.length > 0 ? sum / absmax.length : 0;
  const groups = Math.ceil(absmax.length / SCALE_BLOCK_SIZE);
  const codes = new Int8Array(absmax.length);
  const blockScales = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const from = g * SCALE_BLOCK_SIZE;
    const to = Math.min(absmax.length, from + SCALE_BLOCK_SIZE);
    let max = 0;
    for (let i = from; i < to; i++) max = Math.max(max, Math.abs(absmax[i]! - offset));
    const scale = max / 127;
    blockScales[g] = scale;
    for (let i = from; i < to; i++) codes[i] = scale > 0 ? Math.round((absmax[i]! - offset) / scale) : 0;
  }
  return { kind: 'int8', codes, blockScales, offset };
}

/** The scale of each 64-value block, as the dequantizer uses it. */
export function blockScales(tensor: Nf4Tensor): Float32Array {
  const scales = tensor.scales;
  if (scales.kind === 'f32') return scales.values;
  const out = new Float32Array(scales.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = scales.codes[i]! * scales.blockScales[Math.floor(i / SCALE_BLOCK_SIZE)]! + scales.offset;
  return out;
}

/**
 * Dequantizes to float32, row-major in the stored shape (rows, cols), or transposed (cols, rows)
 * when `transpose` is set, without a second pass; into `into` when given (of rows * cols values).
 */
export function dequantizeNf4(tensor: Nf4Tensor, transpose = false, scales = blockScales(tensor), into?: Float32Array): Float32Array {
  const [rows, cols] = tensor.shape;
  const out = into ?? new Float32Array(rows * cols);
  const packed = tensor.packed;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < cols; c++) {
      const i = rowStart + c;
      const byte = packed[i >> 1]!;
      const index = (i & 1) === 0 ? byte >> 4 : byte & 15;
      out[transpose ? c * rows + r : i] = LEVELS[index]! * scales[Math.floor(i / NF4_BLOCK_SIZE)]!;
    }
  }
  return out;
}

/** Bytes held by the quantized tensor. */
export function nf4Bytes(tensor: Nf4Tensor): number {
  const s = tensor.scales;
  return tensor.packed.byteLength + (s.kind === 'f32' ? s.values.byteLength : s.codes.byteLength + s.blockScales.byteLength + 4);
}
