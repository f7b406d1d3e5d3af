"""PyTorch peer of scripts/bench-training.ts: images/s of standard, FGSM-RS and PGD-7 training steps on Rampart's
reference CNN (Conv 32 3x3 ReLU, MaxPool 2, Conv 64 3x3 ReLU, MaxPool 2, Dense 128 ReLU, Dense 10), and of IBP
certified training (Gowal et al.: 0.5 clean CE + 0.5 CE of the elided IBP margin bounds, eps 0.1) of the MLP
784-1024-1024-10, batch B, random inputs, Adam. Prints one JSON object. Usage: python3 scripts/bench-training-torch.py BATCHES BATCH THREADS"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

batches = int(sys.argv[1]) if len(sys.argv) > 1 else 4
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), 1e-3)
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
eps = 0.3


def attack(steps, alpha, random_start):
    delta = (torch.rand_like(x) * 2 - 1) * eps if random_start else torch.zeros_like(x)
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(torch.clamp(x + delta, 0, 1)), y)
        g, = torch.autograd.grad(loss, delta)
        delta = torch.clamp(delta.detach() + alpha * g.sign(), -eps, eps)
    return torch.clamp(x + delta, 0, 1).detach()


def step(mode):
    xb = x
    if mode == 'fgsm-rs':
        xb = attack(1, 1.25 * eps, True)
    elif mode == 'pgd-7':
        xb = attack(7, 2.5 * eps / 7, True)
    opt.zero_grad()
    F.cross_entropy(model(xb), y).backward()
    opt.step()


mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
mlp_opt = torch.optim.Adam(mlp.parameters(), 1e-3)


def ibp_step():
    eps_ibp = 0.1
    lower = torch.clamp(x - eps_ibp, 0, 1).flatten(1)
    upper = torch.clamp(x + eps_ibp, 0, 1).flatten(1)
    for layer in [mlp[1], mlp[3]]:
        c, r = (lower + upper) / 2, (upper - lower) / 2
        c, r = layer(c), r @ layer.weight.abs().t()
        lower, upper = F.relu(c - r), F.relu(c + r)
    last = mlp[5]
    diff = last.weight[y].unsqueeze(1) - last.weight.unsqueeze(0)  # [N, K, H]: W_y - W_j
    c, r = (lower + upper) / 2, (upper - lower) / 2
    margin = (diff @ c.unsqueeze(2)).squeeze(2) - (diff.abs() @ r.unsqueeze(2)).squeeze(2) + (last.bias[y].unsqueeze(1) - last.bias)
    mlp_opt.zero_grad()
    (0.5 * F.cross_entropy(mlp(x), y) + 0.5 * F.cross_entropy(-margin, y)).backward()
    mlp_opt.step()


out = {}
for mode in ['standard', 'fgsm-rs', 'pgd-7', 'ibp-mlp']:
    if mode == 'ibp-mlp':
        ibp_step()
        start = time.perf_counter()
        for _ in range(batches):
            ibp_step()
        out[mode] = batches * batch / (time.perf_counter() - start)
        continue
    step(mode)
    start = time.perf_counter()
    for _ in range(batches):
        step(mode)
    out[mode] = batches * batch / (time.perf_counter() - start)
print(json.dumps({'torch': torch.__version__, 'threads': threads, 'batch': batch, 'imagesPerSecond': out}))
