"""PyTorch side of scripts/crosscheck-attacks.ts and scripts/bench-attacks.ts (run with /usr/bin/python3).

Builds a torch module from an ONNX file Rampart exported (the ops of Rampart's reference models: Transpose, Conv,
Relu, MaxPool, Flatten, Reshape, Gemm, MatMul, Add; the weights are the ONNX initializers, so both sides run the
same network on the same NHWC input), then runs PGD on the samples of an NPZ (x: NHWC float32 in [0, 1], y: int32):
no random start, `steps` steps of size alpha = rel_step * eps along sign(grad) (linf) or grad / ||grad||_2 (l2) of
the summed cross-entropy, projection onto the eps-ball and [0, 1] after every step. Like Rampart's PGD, a sample
counts as broken when any iterate (the start, each step, the last point) is misclassified; the robust accuracy
of the last iterate alone is reported too.

Prints one JSON object: {"torch": version, "threads": n, "clean": acc, "results": [{"eps", "robust",
"robustLastIterate", "seconds"}]}.

Usage: crosscheck-attacks-torch.py --onnx M.onnx --data D.npz --norm linf --eps 0.1,0.2 --steps 40
       --rel-step 0.0625 --batch 100 --threads 1
"""
import argparse
import json
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


class OnnxNet(torch.nn.Module):
    """A straight-line ONNX graph evaluated with torch ops (enough for Rampart's exported sequential models)."""

    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        graph = model.graph
        self.input_name = graph.input[0].name
        self.output_name = graph.output[0].name
        self.consts = {}
        for i, init in enumerate(graph.initializer):
            value = torch.from_numpy(numpy_helper.to_array(init).copy())
            if value.is_floating_point():
                value = value.float()
                self.register_buffer(f"w{i}", value)
            self.consts[init.name] = value
        self.nodes = []
        for node in graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Constant":
                self.consts[node.output[0]] = torch.from_numpy(numpy_helper.to_array(attrs["value"]).copy())
                continue
            self.nodes.append((node.op_type, list(node.input), list(node.output), attrs))

    def forward(self, x):
        values = dict(self.consts)
        values[self.input_name] = x
        for op, inputs, outputs, attrs in self.nodes:
            args = [values[name] if name else None for name in inputs]
            values[outputs[0]] = run_op(op, args, attrs)
        return values[self.output_name]


def run_op(op, args, attrs):
    if op == "Transpose":
        return args[0].permute(*attrs["perm"])
    if op == "Relu":
        return F.relu(args[0])
    if op == "Conv":
        pads = attrs.get("pads", [0, 0, 0, 0])
        if pads[0] != pads[2] or pads[1] != pads[3]:
            raise ValueError("asymmetric Conv padding is not supported")
        return F.conv2d(args[0], args[1], args[2] if len(args) > 2 else None, stride=attrs.get("strides", [1, 1]),
                        padding=(pads[0], pads[1]), dilation=attrs.get("dilations", [1, 1]), groups=attrs.get("group", 1))
    if op == "MaxPool":
        pads = attrs.get("pads", [0, 0, 0, 0])
        return F.max_pool2d(args[0], attrs["kernel_shape"], attrs.get("strides", attrs["kernel_shape"]), padding=(pads[0], pads[1]))
    if op == "Flatten":
        axis = attrs.get("axis", 1)
        return args[0].reshape(int(np.prod(args[0].shape[:axis])), -1)
    if op == "Reshape":
        shape = [int(v) for v in args[1].tolist()]
        shape = [args[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return args[0].reshape(shape)
    if op == "Gemm":
        a, b = args[0], args[1]
        if attrs.get("transA", 0):
            a = a.t()
        if attrs.get("transB", 0):
            b = b.t()
        out = attrs.get("alpha", 1.0) * (a @ b)
        if len(args) > 2 and args[2] is not None:
            out = out + attrs.get("beta", 1.0) * args[2]
        return out
    if op == "MatMul":
        return args[0] @ args[1]
    if op == "Add":
        return args[0] + args[1]
    raise ValueError(f"op {op} is not supported by this cross-check")


def pgd(model, x, y, norm, eps, steps, alpha):
    """Returns (broken by any iterate, broken by the last iterate) as bool tensors."""
    x_adv = x.clone()
    with torch.no_grad():
        broken = model(x_adv).argmax(1) != y
    for _ in range(steps):
        x_adv.requires_grad_(True)
        logits = model(x_adv)
        loss = F.cross_entropy(logits, y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            broken |= logits.argmax(1) != y
            if norm == "linf":
                step = alpha * grad.sign()
                x_adv = x + (x_adv + step - x).clamp(-eps, eps)
            else:
                norms = grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (grad.dim() - 1)))
                delta = x_adv + alpha * grad / norms - x
                dnorm = delta.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (grad.dim() - 1)))
                x_adv = x + delta * torch.clamp(eps / dnorm, max=1.0)
            x_adv = x_adv.clamp(0.0, 1.0).detach()
    with torch.no_grad():
        last = model(x_adv).argmax(1) != y
    return broken | last, last


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--norm", default="linf", choices=["linf", "l2"])
    parser.add_argument("--eps", default="0.1")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rel-step", type=float, default=None, help="step size / eps (default 2.5 / steps)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = OnnxNet(args.onnx).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    data = np.load(args.data)
    x_all = torch.from_numpy(data["x"].astype(np.float32))
    y_all = torch.from_numpy(data["y"].astype(np.int64))
    rel = args.rel_step if args.rel_step is not None else 2.5 / args.steps
    with torch.no_grad():
        correct = torch.cat([model(x_all[i:i + args.batch]).argmax(1) == y_all[i:i + args.batch] for i in range(0, len(y_all), args.batch)])
    results = []
    for eps in [float(e) for e in args.eps.split(",")]:
        robust = 0
        robust_last = 0
        start = time.perf_counter()
        for i in range(0, len(y_all), args.batch):
            x, y = x_all[i:i + args.batch], y_all[i:i + args.batch]
            ok = correct[i:i + args.batch]
            # like Rampart, only initially-correct samples are attacked
            broken, last = pgd(model, x[ok], y[ok], args.norm, eps, args.steps, rel * eps)
            robust += int((~broken).sum())
            robust_last += int((~last).sum())
        seconds = time.perf_counter() - start
        n = len(y_all)
        results.append({"eps": eps, "robust": robust / n, "robustLastIterate": robust_last / n, "seconds": seconds})
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "clean": float(correct.float().mean()), "results": results}), flush=True)


if __name__ == "__main__":
    main()
