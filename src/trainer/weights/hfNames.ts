/** Hugging Face tensor names of one decoder layer, per architecture. */
import type { Architecture } from '../model/config';

export interface LayerTensorNames {
  inputNorm: string;
  postAttentionNorm: string;
  /** Separate projections (Llama, Mistral, Qwen2)... */
  q?: string;
  k?: string;
  v?: string;
  qBias?: string;
  kBias?: string;
  vBias?: string;
  /** ...or Phi-3's fused ones. */
  qkv?: string;
  o: string;
  oBias: string;
  gate?: string;
  up?: string;
  gateUp?: string;
  down: string;
}

export function layerTensorNames(architecture: Architecture, index: number): LayerTensorNames {
  const p = `model.layers.${index}`;
  const common = {
    inputNorm: `${p}.input_layernorm.weight`,
    postAttentionNorm: `${p}.post_attention_layernorm.weight`,
    o: `${p}.self_attn.o_proj.weight`,
    oBias: `${p}.self_attn.o_proj.bias`,
    down: `${p}.mlp.down_proj.weight`,
  };
  if (architecture === 'phi3') {
    return { ...common, qkv: `${p}.self_attn.qkv_proj.weight`, gateUp: `${p}.mlp.gate_up_proj.weight` };
  }
  return {
    ...common,
    q: `${p}.self_attn.q_proj.weight`,
    k: `${p}.self_attn.k_proj.weight`,
    v: `${p}.self_attn.v_proj.weight`,
    qBias: `${p}.self_attn.q_proj.bias`,
    kBias: `${p}.self_attn.k_proj.bias`,
    vBias: `${p}.self_attn.v_proj.bias`,
    gate: `${p}.mlp.gate_proj.weight`,
    up: `${p}.mlp.up_proj.weight`,
  };
}
