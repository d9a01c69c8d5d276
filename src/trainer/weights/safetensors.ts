/**
 * Reading and writing safetensors files: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to `{dtype, shape, data_offsets}` (offsets relative to the first byte
 * after the header), then the raw little-endian, row-major bytes.
 *
 * The reader treats the file as untrusted: every header number is checked against the file
 * before use, and each tensor is read on its own with a positioned read, so a model is never
 * copied whole into memory. F32, F16 and BF16 are converted to Float32Array.
 */
import { UserError } from '../../common/errors';
import * as fs from 'node:fs';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** The reference implementation's limit on the header size. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export class WeightsError extends UserError {
  override readonly name = 'WeightsError';
}

/** One safetensors file, opened for positioned reads. */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;

  private constructor(readonly path: string, private readonly fd: number, tensors: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.tensors = tensors;
    this.metadata = metadata;
  }

  static open(file: string): SafetensorsFile {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (error) {
      throw new WeightsError(`Cannot open ${file}: ${(error as Error).message}`);
    }
    try {
      const { tensors, metadata } = readHeader(fd, file);
      return new SafetensorsFile(file, fd, tensors, metadata);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Reads one tensor as float32 values. */
  read(name: string): { shape: number[]; values: Float32Array } {
    const info = this.tensors.get(name);
    if (!info) throw new WeightsError(`${this.path} has no tensor "${name}"`);
    const bytes = Buffer.allocUnsafe(info.end - info.begin);
    const read = fs.readSync(this.fd, bytes, 0, bytes.length, info.begin);
    if (read !== bytes.length) throw new WeightsError(`${this.path} is truncated: tensor "${name}" needs bytes up to ${info.end}`);
    return { shape: info.shape, values: toFloat32(bytes, info.dtype) };
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function readHeader(fd: number, file: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const size = fs.fstatSync(fd).size;
  const lengthBytes = Buffer.alloc(8);
  if (size < 8 || fs.readSync(fd, lengthBytes, 0, 8, 0) !== 8) throw new WeightsError(`${file} is too short to be a safetensors file`);
  const headerLength = Number(lengthBytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
    throw new WeightsError(`${file} is not a safetensors file, or is truncated: its header claims ${headerLength} bytes`);
  }
  const headerBytes = Buffer.alloc(headerLength);
  fs.readSync(fd, headerBytes, 0, headerLength, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw new WeightsError(`${file} has a header that is not JSON: it is not a safetensors file`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new WeightsError(`${file} has a malformed safetensors header`);
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw new WeightsError(`${file}: tensor "${name}" has dtype ${String(dtype)}; only F32, F16 and BF16 weights are supported`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new WeightsError(`${file}: tensor "${name}" has a malformed shape or data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end - begin !== elements * BYTES_PER_ELEMENT[dtype]) {
      throw new WeightsError(`${file}: tensor "${name}" has data_offsets [${String(begin)}, ${String(end)}] that do not match its shape [${(shape as number[]).join(', ')}]`);
    }
    if (dataStart + end > size) {
      throw new WeightsError(`${file} is truncated: tensor "${name}" ends at byte ${dataStart + end} but the file has ${size} bytes`);
    }
    tensors.set(name, { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  return { tensors, metadata };
}

/** Converts little-endian F32 / F16 / BF16 bytes to float32. */
export function toFloat32(bytes: Buffer, dtype: SafetensorsDtype): Float32Array {
  const count = bytes.length / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    out.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))); // little-endian hosts
  } else if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = bytes.readUInt16LE(i * 2) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Rounds float32 values to IEEE half precision (round to nearest even). */
export function toF16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const view = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < values.length; i++) {
    view.setFloat32(0, values[i]!);
    const bits = view.getUint32(0);
    const sign = (bits >>> 16) & 0x8000;
    let exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    let mantissa = bits & 0x7fffff;
    if (exponent >= 31) {
      out[i] = sign | 0x7c00 | (((bits >>> 23) & 0xff) === 0xff && mantissa ? 0x200 : 0);
    } else if (exponent <= 0) {
      if (exponent < -10) { out[i] = sign; continue; }
      mantissa |= 0x800000;
      const shift = 14 - exponent;
      const rounded = (mantissa + (1 << (shift - 1)) - 1 + ((mantissa >>> shift) & 1)) >>> shift;
      out[i] = sign | rounded;
    } else {
      const rounded = mantissa + 0xfff + ((mantissa >>> 13) & 1);
      if (rounded & 0x800000) { mantissa = 0; exponent++; } else mantissa = rounded;
      out[i] = exponent >= 31 ? sign | 0x7c00 : sign | (exponent << 10) | (mantissa >>> 13);
    }
  }
  return out;
}

/** Rounds float32 values to bfloat16 (round to nearest even), as torch does. */
export function toBf16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i]!;
    out[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

export interface TensorToWrite {
  shape: number[];
  values: Float32Array;
  dtype?: SafetensorsDtype;
}

/**
 * Writes tensors to a safetensors file, tensor by tensor, through a temporary file that is
 * renamed into place, so a reader never sees a half-written file.
 */
export function writeSafetensors(file: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const dtype = tensor.dtype ?? 'F32';
    const length = tensor.values.length * BYTES_PER_ELEMENT[dtype];
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8); // align data to 8 bytes
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)));
    fs.writeSync(fd, length);
    fs.writeSync(fd, headerText);
    for (const tensor of tensors.values()) {
      const data = tensor.dtype === 'BF16' ? toBf16Bits(tensor.values) : tensor.dtype === 'F16' ? toF16Bits(tensor.values) : tensor.values;
      fs.writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}
