#!/usr/bin/env bash
# Re-trains the reference models shipped in models/ (the exact commands recorded in each rampart.json).
# Takes about 10 minutes for MNIST and 30 for Fashion-MNIST on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
node dist/cli/main.js train --arch mlp --data mnist:train --epochs 40 --batch-size 128 --lr 0.001 --seed 1 --out models/mnist-mlp --name mnist-mlp
node dist/cli/main.js train --arch cnn --data mnist:train --epochs 30 --batch-size 128 --lr 0.001 --seed 1 --out models/mnist-cnn --name mnist-cnn
node dist/cli/main.js train --arch cnn --data fashion-mnist:train --epochs 12 --batch-size 128 --lr 0.001 --shift 1 --seed 1 --out models/fashion-cnn --name fashion-cnn
