/**
 * A small blank Llama model folder for the built-in example: randomly initialised weights (no
 * pretrained model can be downloaded offline), a byte-level BPE tokenizer with no merges (every
 * byte one token, so any text encodes), and ChatML as its chat template. Everything the trainer
 * and the checker read from a real Hugging Face folder, at a size that trains in a minute on a CPU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from './generate';
import { writeSafetensors, type TensorToWrite } from './weights/safetensors';

const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

const CHATML_TEMPLATE = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface BlankModelShape {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
}

export const BLANK_MODEL_SHAPE: BlankModelShape = { hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2 };

/** GPT-2's byte-to-character table: printable bytes stand for themselves, the rest move above 255. */
export function byteLevelAlphabet(): string[] {
  const chars: string[] = new Array<string>(256);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    chars[byte] = String.fromCharCode(printable ? byte : 256 + shifted++);
  }
  return chars;
}

export function writeBlankModel(dir: string, shape: BlankModelShape = BLANK_MODEL_SHAPE, seed = 7): void {
  const alphabet = byteLevelAlphabet();
  const vocab = alphabet.length + SPECIAL_TOKENS.length;
  const specialId = (token: (typeof SPECIAL_TOKENS)[number]): number => alphabet.length + SPECIAL_TOKENS.indexOf(token);
  fs.mkdirSync(dir, { recursive: true });

  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({ id: specialId(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(alphabet.map((char, id) => [char, id])),
      merges: [],
    },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify({
    tokenizer_class: 'PreTrainedTokenizerFast', bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', unk_token: null,
    model_max_length: 4096, chat_template: CHATML_TEMPLATE,
  }, null, 2)}\n`);

  const { hidden: h, intermediate: inter, layers, heads, kvHeads } = shape;
  const headDim = h / heads;
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: h, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, rms_norm_eps: 1e-5, rope_theta: 10000,
    max_position_embeddings: 4096, tie_word_embeddings: false, bos_token_id: null, eos_token_id: specialId('<|im_end|>'), torch_dtype: 'float32',
  }, null, 2)}\n`);

  const random = seededRandom(seed);
  const uniform = (): number => (random() * 4294967296 + 1) / 4294967297; // never 0, for the log
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const tensors = new Map<string, TensorToWrite>();
  const add = (name: string, dims: number[], std: number, mean = 0): void => {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = mean + std * normal();
    tensors.set(name, { shape: dims, values });
  };
  // Larger embedding and head rows than a real initialisation, so LoRA alone can move the outputs.
  add('model.embed_tokens.weight', [vocab, h], 0.2);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, [h], 0, 1);
    add(`${p}.post_attention_layernorm.weight`, [h], 0, 1);
    add(`${p}.self_attn.q_proj.weight`, [heads * headDim, h], 0.08);
    add(`${p}.self_attn.k_proj.weight`, [kvHeads * headDim, h], 0.08);
    add(`${p}.self_attn.v_proj.weight`, [kvHeads * headDim, h], 0.08);
    add(`${p}.self_attn.o_proj.weight`, [h, heads * headDim], 0.08);
    add(`${p}.mlp.gate_proj.weight`, [inter, h], 0.08);
    add(`${p}.mlp.up_proj.weight`, [inter, h], 0.08);
    add(`${p}.mlp.down_proj.weight`, [h, inter], 0.08);
  }
  add('model.norm.weight', [h], 0, 1);
  add('lm_head.weight', [vocab, h], 0.2);
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}
