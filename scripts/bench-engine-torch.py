"""PyTorch reference timings for scripts/bench-engine.ts (run as a child process with /usr/bin/python3).

Builds the reference CNN (conv32-pool-conv64-pool-fc128-fc10, 28x28x1) and MLP (784-256-256-10) with random
weights, and times forward, input gradient (mean softmax cross-entropy w.r.t. the input) and a training step
(all weight gradients + SGD-momentum update) at batch 256. Prints one JSON object per line:
{"net": ..., "mode": ..., "threads": n, "seconds": [...per-batch times...]}.
Usage: bench-engine-torch.py --threads 1 --nets cnn,mlp --modes forward,inputGradient,trainStep --reps 10
With --serve it first prints {"ready": true, "torch": version} and then answers one request per stdin line,
"<net> <mode> <reps>", with one JSON line, so the caller can interleave it with other engines.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def make(net):
    if net == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
        )
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--nets", default="cnn,mlp")
    parser.add_argument("--modes", default="forward,inputGradient,trainStep")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    benches = {net: make_bench(net, args.batch) for net in args.nets.split(",")}

    def measure(net, mode, reps):
        fn = benches[net][mode]
        for _ in range(2):
            fn()
        seconds = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - t)
        return {"net": net, "mode": mode, "threads": args.threads, "batch": args.batch, "seconds": seconds}

    if args.serve:
        print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "quit":
                break
            print(json.dumps(measure(parts[0], parts[1], int(parts[2]))), flush=True)
        return
    for net in args.nets.split(","):
        for mode in args.modes.split(","):
            print(json.dumps(measure(net, mode, args.reps)), flush=True)


def make_bench(net, batch):
    """The three timed closures for one net at one batch size."""
    model = make(net)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.arange(batch) % 10
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def forward():
        with torch.no_grad():
            model(x)

    def input_gradient():
        xg = x.clone().requires_grad_(True)
        loss = F.cross_entropy(model(xg), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, xg)
        return g

    def train_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return {"forward": forward, "inputGradient": input_gradient, "trainStep": train_step}


if __name__ == "__main__":
    main()
