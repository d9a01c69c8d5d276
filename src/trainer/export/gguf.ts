/**
 * Exports a Hugging Face model folder as a GGUF file (format version 3) that llama.cpp, Ollama
 * and LM Studio load, following llama.cpp's own converter (convert_hf_to_gguf.py):
 *
 * - tensor names `token_embd`, `blk.N.attn_q` ..., dims written innermost first (a PyTorch
 *   (out, in) weight is GGUF ne = [in, out]), data aligned to 32 bytes;
 * - for `llama` and `mistral`, the rows of each head of Q and K are permuted from Hugging Face's
 *   rotate-half layout to llama.cpp's interleaved one; `qwen2` and `phi3` run with NEOX-style RoPE
 *   in llama.cpp and are written unpermuted;
 * - Llama 3 RoPE scaling becomes the `rope_freqs` tensor of per-frequency divisors;
 * - the tokenizer from tokenizer.json: SentencePiece-style vocabularies as `llama`, byte-level
 *   BPE as `gpt2` with merges; the chat template goes along.
 */
import * as path from 'node:path';
import { readModelConfig, type ModelConfig } from '../model/config';
import { layerTensorNames } from '../weights/hfNames';
import { ModelWeights } from '../weights/modelWeights';
import { GGUF_ALIGNMENT, GgufType, writeGguf, type GgufTensor, type GgufValue } from './ggufFile';
import { ggufTokenizerMetadata } from './ggufTokenizer';

export interface GgufExportOptions {
  /** Storage type of 2-D weights; norms and biases stay F32, as llama.cpp's converter keeps them. */
  dtype: 'f32' | 'f16';
}

const LLAMA_CPP_ARCH: Record<ModelConfig['architecture'], string> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2', phi3: 'phi3' };

export function exportGguf(modelDir: string, outFile: string, options: GgufExportOptions): { tensors: number; bytes: number } {
  const config = readModelConfig(modelDir);
  const weights = ModelWeights.open(modelDir);
  try {
    const arch = LLAMA_CPP_ARCH[config.architecture];
    const metadata = new Map<string, GgufValue>([
      ['general.architecture', { type: GgufType.STRING, value: arch }],
      ['general.name', { type: GgufType.STRING, value: path.basename(path.resolve(modelDir)) }],
      ['general.file_type', { type: GgufType.UINT32, value: options.dtype === 'f16' ? 1 : 0 }],
      ['general.alignment', { type: GgufType.UINT32, value: GGUF_ALIGNMENT }],
      ...hyperparameters(arch, config),
      ...ggufTokenizerMetadata(modelDir, config),
    ]);
    const tensors = modelTensors(config, weights);
    return writeGguf(outFile, metadata, tensors, options.dtype);
  } finally {
    weights.close();
  }
}

function hyperparameters(arch: string, c: ModelConfig): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: GgufType.UINT32, value });
  const f32 = (value: number): GgufValue => ({ type: GgufType.FLOAT32, value });
  const entries: Array<[string, GgufValue]> = [
    [`${arch}.context_length`, u32(c.maxPositionEmbeddings)],
    [`${arch}.embedding_length`, u32(c.hiddenSize)],
    [`${arch}.block_count`, u32(c.numLayers)],
    [`${arch}.feed_forward_length`, u32(c.intermediateSize)],
    [`${arch}.attention.head_count`, u32(c.numHeads)],
    [`${arch}.attention.head_count_kv`, u32(c.numKvHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(c.rmsNormEps)],
    [`${arch}.rope.freq_base`, f32(c.ropeTheta)],
    [`${arch}.rope.dimension_count`, u32(c.headDim)],
    [`${arch}.vocab_size`, u32(c.vocabSize)],
  ];
  if (arch === 'llama' && c.headDim !== c.hiddenSize / c.numHeads) {
    entries.push([`${arch}.attention.key_length`, u32(c.headDim)], [`${arch}.attention.value_length`, u32(c.headDim)]);
  }
  if (arch === 'phi3') entries.push([`${arch}.rope.scaling.original_context_length`, u32(c.maxPositionEmbeddings)]);
  return entries;
}

function modelTensors(c: ModelConfig, weights: ModelWeights): GgufTensor[] {
  const { hiddenSize: h, intermediateSize: inter, numHeads: nH, numKvHeads: nKv, headDim: hd, vocabSize: vocab } = c;
  const tensor = (name: string, source: string, shape: number[], transform?: (values: Float32Array) => Float32Array): GgufTensor => ({
    name, shape, values: () => (transform ? transform(weights.read(source, shape)) : weights.read(source, shape)),
  });
  const permuteRows = c.architecture === 'llama' || c.architecture === 'mistral';
  const list: GgufTensor[] = [tensor('token_embd.weight', 'model.embed_tokens.weight', [vocab, h])];
  if (c.ropeScaling) list.push({ name: 'rope_freqs.weight', shape: [hd / 2], values: () => llama3RopeFactors(c) });
  for (let i = 0; i < c.numLayers; i++) {
    const n = layerTensorNames(c.architecture, i);
    const b = `blk.${i}`;
    list.push(tensor(`${b}.attn_norm.weight`, n.inputNorm, [h]));
    if (n.qkv) {
      list.push(tensor(`${b}.attn_qkv.weight`, n.qkv, [(nH + 2 * nKv) * hd, h]));
    } else {
      list.push(tensor(`${b}.attn_q.weight`, n.q!, [nH * hd, h], permuteRows ? (v) => interleaveRopeRows(v, nH, h) : undefined));
      list.push(tensor(`${b}.attn_k.weight`, n.k!, [nKv * hd, h], permuteRows ? (v) => interleaveRopeRows(v, nKv, h) : undefined));
      list.push(tensor(`${b}.attn_v.weight`, n.v!, [nKv * hd, h]));
      if (c.qkvBias) {
        list.push(tensor(`${b}.attn_q.bias`, n.qBias!, [nH * hd], permuteRows ? (v) => interleaveRopeRows(v, nH, 1) : undefined));
        list.push(tensor(`${b}.attn_k.bias`, n.kBias!, [nKv * hd], permuteRows ? (v) => interleaveRopeRows(v, nKv, 1) : undefined));
        list.push(tensor(`${b}.attn_v.bias`, n.vBias!, [nKv * hd]));
      }
    }
    list.push(tensor(`${b}.attn_output.weight`, n.o, [h, nH * hd]));
    if (c.outputBias) list.push(tensor(`${b}.attn_output.bias`, n.oBias, [h]));
    list.push(tensor(`${b}.ffn_norm.weight`, n.postAttentionNorm, [h]));
    if (n.gateUp) {
      list.push(tensor(`${b}.ffn_up.weight`, n.gateUp, [2 * inter, h])); // llama.cpp splits Phi-3's fused gate_up itself
    } else {
      list.push(tensor(`${b}.ffn_gate.weight`, n.gate!, [inter, h]));
      list.push(tensor(`${b}.ffn_up.weight`, n.up!, [inter, h]));
    }
    list.push(tensor(`${b}.ffn_down.weight`, n.down, [h, inter]));
  }
  list.push(tensor('output_norm.weight', 'model.norm.weight', [h]));
  if (!c.tieWordEmbeddings && weights.has('lm_head.weight')) list.push(tensor('output.weight', 'lm_head.weight', [vocab, h]));
  return list;
}

/**
 * llama.cpp's converter `permute`: within each head, row `half * hd/2 + i` (rotate-half) moves to
 * row `2i + half` (interleaved pairs). values: (heads * hd, width), row-major.
 */
export function interleaveRopeRows(values: Float32Array, heads: number, width: number): Float32Array {
  const headDim = values.length / width / heads;
  const out = new Float32Array(values.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < headDim / 2; i++) {
      for (let half = 0; half < 2; half++) {
        const from = (head * headDim + half * (headDim / 2) + i) * width;
        const to = (head * headDim + 2 * i + half) * width;
        out.set(values.subarray(from, from + width), to);
      }
    }
  }
  return out;
}

/** Llama 3 scaling as llama.cpp applies it: the divisor of each RoPE frequency. */
function llama3RopeFactors(c: ModelConfig): Float32Array {
  const s = c.ropeScaling!;
  const half = c.headDim / 2;
  const factors = new Float32Array(half);
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / (1 / c.ropeTheta ** ((2 * i) / c.headDim));
    if (wavelen < highFreqWavelen) factors[i] = 1;
    else if (wavelen > lowFreqWavelen) factors[i] = s.factor;
    else {
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      factors[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return factors;
}
