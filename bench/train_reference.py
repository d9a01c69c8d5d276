#!/usr/bin/env python3
"""The training step of bench/train.bench.ts in PyTorch, for reference: a Llama of the same shape
(random float32 weights, tied embeddings), LoRA r=16 (alpha 32, dropout 0.05) on q, k, v, o with only A and B
trainable, batch 1, sequence 256, every token trained, cross-entropy, backward, AdamW. Run with
Debian's python3-torch:

    /usr/bin/python3 bench/train_reference.py [--model tiny|smollm2-135m-shape] [--threads N] [--steps N]

Prints one JSON line: median tokens/s over the steps after a warm-up step, and peak RSS.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch

SHAPES = {
    "tiny": dict(hidden=64, intermediate=128, layers=2, heads=4, kv_heads=2, vocab=32000),
    "smollm2-135m-shape": dict(hidden=576, intermediate=1536, layers=30, heads=9, kv_heads=3, vocab=49152),
}


class LoraLinear(torch.nn.Module):
    def __init__(self, inputs, outputs, r=0, alpha=32, dropout=0.05):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(outputs, inputs) * 0.02, requires_grad=False)
        self.r = r
        if r:
            self.a = torch.nn.Parameter(torch.empty(r, inputs).uniform_(-1 / math.sqrt(inputs), 1 / math.sqrt(inputs)))
            self.b = torch.nn.Parameter(torch.zeros(outputs, r))
            self.scaling = alpha / r
            self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x):
        out = x @ self.weight.T
        if self.r:
            out = out + self.scaling * (self.dropout(x) @ self.a.T) @ self.b.T
        return out


def rms_norm(x, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Model(torch.nn.Module):
    def __init__(self, s, r):
        super().__init__()
        h, hd = s["hidden"], s["hidden"] // s["heads"]
        self.s, self.hd = s, hd
        self.embed = torch.nn.Parameter(torch.randn(s["vocab"], h) * 0.02, requires_grad=False)
        self.layers = torch.nn.ModuleList()
        for _ in range(s["layers"]):
            layer = torch.nn.Module()
            layer.q = LoraLinear(h, s["heads"] * hd, r)
            layer.k = LoraLinear(h, s["kv_heads"] * hd, r)
            layer.v = LoraLinear(h, s["kv_heads"] * hd, r)
            layer.o = LoraLinear(s["heads"] * hd, h, r)
            layer.gate = LoraLinear(h, s["intermediate"])
            layer.up = LoraLinear(h, s["intermediate"])
            layer.down = LoraLinear(s["intermediate"], h)
            self.layers.append(layer)
        self.head = self.embed  # tied, as SmolLM2-135M ties them

    def forward(self, ids):
        s, hd = self.s, self.hd
        t = ids.shape[1]
        x = self.embed[ids]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(t).float(), inv)
        cos, sin = torch.cat((freqs, freqs), -1).cos(), torch.cat((freqs, freqs), -1).sin()
        mask = torch.full((t, t), float("-inf")).triu(1)
        rep = s["heads"] // s["kv_heads"]
        for layer in self.layers:
            h = rms_norm(x)
            q = layer.q(h).view(1, t, s["heads"], hd).transpose(1, 2)
            k = layer.k(h).view(1, t, s["kv_heads"], hd).transpose(1, 2)
            v = layer.v(h).view(1, t, s["kv_heads"], hd).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            attn = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, -1) @ v
            x = x + layer.o(attn.transpose(1, 2).reshape(1, t, -1))
            h = rms_norm(x)
            x = x + layer.down(torch.nn.functional.silu(layer.gate(h)) * layer.up(h))
        return rms_norm(x) @ self.head.T


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m-shape", choices=SHAPES)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Model(SHAPES[args.model], r=16)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
    ids = torch.tensor([[1 + (i * 7919) % 30000 for i in range(256)]])
    times = []
    for step in range(args.steps + 1):
        started = time.perf_counter()
        logits = model(ids)
        loss = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step > 0:
            times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    print(json.dumps({
        "model": args.model, "framework": f"torch {torch.__version__}", "threads": args.threads, "steps": args.steps,
        "medianStepSeconds": round(seconds, 3), "tokensPerSecond": round(256 / seconds, 1),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
