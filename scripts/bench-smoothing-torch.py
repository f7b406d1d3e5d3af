"""PyTorch peer for scripts/bench-smoothing.ts: randomized smoothing's sampling loop (Gaussian noise, forward pass,
top-1 counts) on the reference MNIST CNN with the SAME weights as models/mnist-cnn/model.onnx.

The network is rebuilt in torch (conv32-relu-pool-conv64-relu-pool-flatten(NHWC order)-fc128-relu-fc10) and the
ONNX initializers are loaded with the onnx package, so both engines compute the same function; the script checks
that by printing its logits for the given inputs, which the TypeScript side compares with ONNX Runtime's.

Usage: bench-smoothing-torch.py --images FILE(float32 [K,28,28,1]) --count K --n 10000 --batch 1000 --sigma 0.25
       --threads 1 --model models/mnist-cnn/model.onnx
Prints one JSON line: {"torch": version, "seconds": s, "draws": K*n, "counts": [[...], ...], "logits": [[...], ...]}.
"""
import argparse
import json
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def load_weights(path):
    model = onnx.load(path)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    assert len(convs) == 2 and len(gemms) == 2, "expected the reference CNN (2 Conv, 2 Gemm)"
    return [(weights[n.input[1]], weights[n.input[2]]) for n in convs + gemms]


def make_forward(params):
    (k1, b1), (k2, b2), (w3, c3), (w4, c4) = params

    def forward(x_nhwc):
        x = x_nhwc.permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(F.conv2d(x, k1, b1)), 2)
        x = F.max_pool2d(F.relu(F.conv2d(x, k2, b2)), 2)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # TF.js flattens NHWC
        x = F.relu(x @ w3 + c3)
        return x @ w4 + c4

    return forward


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sigma", type=float, default=0.25)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default="models/mnist-cnn/model.onnx")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    forward = make_forward(load_weights(args.model))
    images = torch.from_numpy(np.fromfile(args.images, dtype=np.float32).reshape(args.count, 28, 28, 1))
    with torch.no_grad():
        logits = forward(images).tolist()
        forward(images[:1].repeat(args.batch, 1, 1, 1))  # warm-up
        counts = []
        start = time.perf_counter()
        for k in range(args.count):
            c = torch.zeros(10, dtype=torch.int64)
            done = 0
            while done < args.n:
                b = min(args.batch, args.n - done)
                noisy = images[k : k + 1] + args.sigma * torch.randn(b, 28, 28, 1)
                c += torch.bincount(forward(noisy).argmax(1), minlength=10)
                done += b
            counts.append(c.tolist())
        seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "seconds": seconds, "draws": args.count * args.n, "counts": counts, "logits": logits}))


if __name__ == "__main__":
    main()
