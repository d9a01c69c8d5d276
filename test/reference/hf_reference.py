#!/usr/bin/env python3
"""Reference forward pass and greedy decode of a Llama-family Hugging Face folder, in float64
PyTorch, written line by line after transformers' modeling code (modeling_llama.py,
modeling_mistral.py, modeling_qwen2.py, modeling_phi3.py): LlamaRMSNorm, rotate_half,
apply_rotary_pos_emb, repeat_kv, eager attention, the SwiGLU MLP, _compute_llama3_parameters.
It shares no code with the TypeScript model it checks.

With ADAPTER_DIR, a PEFT LoRA adapter runs beside the frozen weights as peft's LoraLayer does:
linear(x) + (lora_alpha / r) * (x @ A^T) @ B^T (lora_alpha / sqrt(r) with use_rslora).

Usage: hf_reference.py MODEL_DIR IDS(comma separated) [GREEDY_STEPS] [ADAPTER_DIR]
Prints JSON: {"logprobs": [[...] per position], "greedy": [ids], "margins": [top1 - top2 per step]}
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        if info["dtype"] == "F32":
            array = np.frombuffer(raw, dtype="<f4")
        elif info["dtype"] == "F16":
            array = np.frombuffer(raw, dtype="<f2")
        elif info["dtype"] == "BF16":
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"unsupported dtype {info['dtype']}")
        tensors[name] = torch.from_numpy(array.astype(np.float64).reshape(info["shape"]))
    return tensors


def load_weights(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {}
    for shard in sorted(set(json.load(open(index))["weight_map"].values())):
        weights.update(read_safetensors(os.path.join(model_dir, shard)))
    return weights


def rms_norm(hidden, weight, eps):
    variance = hidden.pow(2).mean(-1, keepdim=True)
    return weight * (hidden * torch.rsqrt(variance + eps))


def inverse_frequencies(config, head_dim):
    base = config.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).double() / head_dim))
    scaling = config.get("rope_scaling") or {}
    if scaling.get("rope_type", scaling.get("type")) == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old_context = scaling["original_max_position_embeddings"]
        low_freq_wavelen = old_context / low
        high_freq_wavelen = old_context / high
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_context / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
        is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        inv_freq = torch.where(is_medium, smoothed, inv_freq_llama)
    return inv_freq


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(hidden, n_rep):
    batch, kv_heads, length, head_dim = hidden.shape
    if n_rep == 1:
        return hidden
    hidden = hidden[:, :, None, :, :].expand(batch, kv_heads, n_rep, length, head_dim)
    return hidden.reshape(batch, kv_heads * n_rep, length, head_dim)


def load_adapter(adapter_dir):
    config = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    tensors = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    adapters = {}
    for name, value in tensors.items():
        module, half = name[len("base_model.model."):].rsplit(".lora_", 1)
        adapters.setdefault(module + ".weight", {})[half[0]] = value
    for pair in adapters.values():
        r = pair["A"].shape[0]
        pair["scaling"] = config["lora_alpha"] / (math.sqrt(r) if config.get("use_rslora") else r)
    return adapters


def forward(config, w, ids, adapters=None):
    arch = config["model_type"]
    hidden_size = config["hidden_size"]
    n_heads = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads", n_heads)
    head_dim = config.get("head_dim") or hidden_size // n_heads
    eps = config["rms_norm_eps"]
    inter = config["intermediate_size"]
    length = len(ids)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)][None]  # (1, T, H)
    freqs = torch.outer(torch.arange(length).double(), inverse_frequencies(config, head_dim))
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    mask = torch.full((length, length), float("-inf")).triu(1)
    window = config.get("sliding_window") if arch == "mistral" else None
    if window:
        mask = mask + torch.full((length, length), float("-inf")).tril(-window)
    adapters = adapters or {}

    def linear(t, name, bias=None):
        out = t @ w[name].T + (w[bias] if bias in w else 0)
        if name in adapters:
            lora = adapters[name]
            out = out + lora["scaling"] * ((t @ lora["A"].T) @ lora["B"].T)
        return out

    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}"
        h = rms_norm(x, w[f"{p}.input_layernorm.weight"], eps)
        if arch == "phi3":
            qkv = linear(h, f"{p}.self_attn.qkv_proj.weight")
            q = qkv[..., : n_heads * head_dim]
            k = qkv[..., n_heads * head_dim : n_heads * head_dim + n_kv * head_dim]
            v = qkv[..., n_heads * head_dim + n_kv * head_dim :]
        else:
            q = linear(h, f"{p}.self_attn.q_proj.weight", f"{p}.self_attn.q_proj.bias")
            k = linear(h, f"{p}.self_attn.k_proj.weight", f"{p}.self_attn.k_proj.bias")
            v = linear(h, f"{p}.self_attn.v_proj.weight", f"{p}.self_attn.v_proj.bias")
        q = q.view(1, length, n_heads, head_dim).transpose(1, 2)
        k = k.view(1, length, n_kv, head_dim).transpose(1, 2)
        v = v.view(1, length, n_kv, head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, n_heads // n_kv), repeat_kv(v, n_heads // n_kv)
        scores = q @ k.transpose(2, 3) / math.sqrt(head_dim) + mask
        attn = torch.softmax(scores, dim=-1) @ v
        attn = attn.transpose(1, 2).reshape(1, length, n_heads * head_dim)
        x = x + linear(attn, f"{p}.self_attn.o_proj.weight", f"{p}.self_attn.o_proj.bias")
        h = rms_norm(x, w[f"{p}.post_attention_layernorm.weight"], eps)
        if arch == "phi3":
            gate, up = linear(h, f"{p}.mlp.gate_up_proj.weight").chunk(2, dim=-1)
        else:
            gate, up = linear(h, f"{p}.mlp.gate_proj.weight"), linear(h, f"{p}.mlp.up_proj.weight")
        x = x + linear(torch.nn.functional.silu(gate) * up, f"{p}.mlp.down_proj.weight")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w and not config.get("tie_word_embeddings") else w["model.embed_tokens.weight"]
    return torch.log_softmax(x[0] @ head.T, dim=-1)


def main():
    model_dir, ids = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    adapters = load_adapter(sys.argv[4]) if len(sys.argv) > 4 else None
    config = json.load(open(os.path.join(model_dir, "config.json")))
    weights = load_weights(model_dir)
    logprobs = forward(config, weights, ids, adapters)
    greedy, margins, sequence = [], [], list(ids)
    for _ in range(steps):
        last = forward(config, weights, sequence, adapters)[-1]
        top = torch.topk(last, 2)
        greedy.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        sequence.append(int(top.indices[0]))
    json.dump({"logprobs": logprobs.tolist(), "greedy": greedy, "margins": margins}, sys.stdout)


if __name__ == "__main__":
    main()
