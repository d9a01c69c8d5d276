/**
 * The GGUF file format (version 3): metadata value types, and the writer of a header followed by
 * tensor data, each aligned to 32 bytes. What goes into the file is decided by gguf.ts (the model)
 * and ggufTokenizer.ts (the tokenizer).
 */
import * as fs from 'node:fs';
import { toF16Bits } from '../weights/safetensors';

/** GGUF metadata value types. */
export const GgufType = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10 } as const;
type T = typeof GgufType;

export type GgufValue =
  | { type: T['UINT32'] | T['INT32'] | T['FLOAT32'] | T['UINT64']; value: number }
  | { type: T['BOOL']; value: boolean }
  | { type: T['STRING']; value: string }
  | { type: T['ARRAY']; itemType: T['STRING']; value: readonly string[] }
  | { type: T['ARRAY']; itemType: T['FLOAT32'] | T['INT32']; value: ArrayLike<number> };

export const GGUF_ALIGNMENT = 32;
/** ggml tensor types. */
const GGML_F32 = 0;
const GGML_F16 = 1;

export interface GgufTensor {
  name: string;
  /** PyTorch order, outermost first. */
  shape: number[];
  values: () => Float32Array;
}

/** Writes the header, then each tensor in turn, through a temporary file renamed into place. */
export function writeGguf(outFile: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[], dtype: 'f32' | 'f16'): { tensors: number; bytes: number } {
  const header = new ByteWriter();
  header.bytes(Buffer.from('GGUF', 'ascii'));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.size);
  for (const [key, value] of metadata) {
    header.string(key);
    header.value(value);
  }
  let offset = 0;
  const layout = tensors.map((t) => {
    const type = dtype === 'f16' && t.shape.length === 2 ? GGML_F16 : GGML_F32;
    const size = t.shape.reduce((a, b) => a * b, 1) * (type === GGML_F16 ? 2 : 4);
    header.string(t.name);
    header.u32(t.shape.length);
    for (const dim of [...t.shape].reverse()) header.u64(dim); // ne[0] is the innermost dimension
    header.u32(type);
    header.u64(offset);
    const entry = { tensor: t, type, offset };
    offset += align(size);
    return entry;
  });
  const temp = `${outFile}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  const head = header.toBuffer();
  let written = align(head.length);
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, Buffer.alloc(align(head.length) - head.length));
    for (const { tensor, type } of layout) {
      const values = tensor.values();
      const data = type === GGML_F16 ? Buffer.from(toF16Bits(values).buffer) : Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      fs.writeSync(fd, data);
      fs.writeSync(fd, Buffer.alloc(align(data.length) - data.length));
      written += align(data.length);
    }
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, outFile);
  return { tensors: tensors.length, bytes: written };
}

function align(n: number): number {
  return Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
}


/** Little-endian writer for the GGUF header. */
class ByteWriter {
  private readonly chunks: Buffer[] = [];

  bytes(buffer: Buffer): void {
    this.chunks.push(buffer);
  }

  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.chunks.push(b);
  }

  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.chunks.push(b);
  }

  string(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.u64(bytes.length);
    this.chunks.push(bytes);
  }

  value(v: GgufValue): void {
    this.u32(v.type);
    switch (v.type) {
      case GgufType.UINT32: return this.u32(v.value);
      case GgufType.INT32: { const b = Buffer.alloc(4); b.writeInt32LE(v.value); this.chunks.push(b); return; }
      case GgufType.FLOAT32: { const b = Buffer.alloc(4); b.writeFloatLE(v.value); this.chunks.push(b); return; }
      case GgufType.UINT64: return this.u64(v.value);
      case GgufType.BOOL: this.chunks.push(Buffer.from([v.value ? 1 : 0])); return;
      case GgufType.STRING: return this.string(v.value);
      case GgufType.ARRAY: {
        this.u32(v.itemType);
        this.u64(v.value.length);
        if (v.itemType === GgufType.STRING) {
          for (const item of v.value as readonly string[]) this.string(item);
        } else {
          const b = Buffer.alloc(4 * v.value.length);
          for (let i = 0; i < v.value.length; i++) {
            if (v.itemType === GgufType.FLOAT32) b.writeFloatLE((v.value as ArrayLike<number>)[i]!, 4 * i);
            else b.writeInt32LE((v.value as ArrayLike<number>)[i]!, 4 * i);
          }
          this.chunks.push(b);
        }
      }
    }
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
