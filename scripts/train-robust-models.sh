#!/usr/bin/env bash
# Re-trains the hardened models shipped in models/ with the exact commands recorded in each rampart.json, then
# evaluates them with Rampart's own CLI (the figures recorded under "evaluation" in each sidecar).
# Wall time on the shared 2-core machine (load 12-20): mnist-cnn-robust 25 + 8 min, fashion-cnn-robust 39 min,
# mnist-mlp-ibp 10 min, mnist-cnn-noise 8 min; evaluations 1-5 min each.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
R="node dist/cli/main.js"

# L∞ ε = 0.3 adversarial fine-tuning of builtin:mnist-cnn in three stages: PGD-3 with ε ramped over the first 20 % of
# steps (4 epochs), then PGD-5 at full ε (5 epochs, then 4 more)
STAGE1=$(mktemp -d); STAGE2=$(mktemp -d)
$R harden --model builtin:mnist-cnn --data mnist:train --val-split 500 --adv pgd --eps 0.3 --steps 3 --eps-ramp 0.2 --epochs 4 --batch-size 128 --lr 0.001 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 1 --out "$STAGE1" --name mnist-cnn-robust
$R harden --model "$STAGE1" --data mnist:train --val-split 500 --adv pgd --eps 0.3 --steps 5 --epochs 5 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 3 --out "$STAGE2" --name mnist-cnn-robust
$R harden --model "$STAGE2" --data mnist:train --val-split 500 --adv pgd --eps 0.3 --steps 5 --epochs 4 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 4 --out models/mnist-cnn-robust --name mnist-cnn-robust
# L∞ ε = 0.1 fine-tuning of builtin:fashion-cnn on 10,000 Fashion-MNIST training images: FGSM-RS (8 epochs), then PGD-5 (3)
FSTAGE1=$(mktemp -d)
$R harden --model builtin:fashion-cnn --data fashion-mnist:train --limit 10000 --val-split 500 --adv fgsm-rs --eps 0.1 --eps-ramp 0.3 --epochs 8 --batch-size 128 --lr 0.001 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 1 --out "$FSTAGE1" --name fashion-cnn-robust
$R harden --model "$FSTAGE1" --data fashion-mnist:train --limit 10000 --val-split 500 --adv pgd --eps 0.1 --steps 5 --epochs 3 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 3 --test-limit 2000 --out models/fashion-cnn-robust --name fashion-cnn-robust
$R eval --model models/fashion-cnn-robust --data fashion-mnist:test --json --quiet >/dev/null   # testAccuracy in rampart.json is this (10,000 images)
# IBP certified training of a fresh MLP (ε 0.1 ramped over 5-40 % of training, κ 1 → 0)
$R harden --model mlp --data mnist:train --val-split 500 --certified ibp --eps 0.1 --eps-ramp 0.4 --kappa 0 --epochs 24 --batch-size 128 --lr 0.001 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 1 --out models/mnist-mlp-ibp --name mnist-mlp-ibp
# Gaussian-noise (σ = 0.25) fine-tuning of builtin:mnist-cnn for randomized smoothing
$R harden --model builtin:mnist-cnn --data mnist:train --val-split 500 --noise 0.25 --epochs 3 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 0 --select clean --seed 1 --out models/mnist-cnn-noise --name mnist-cnn-noise
# checkpoints are for resuming, not for shipping
rm -f models/{mnist-cnn-robust,fashion-cnn-robust,mnist-mlp-ibp,mnist-cnn-noise}/checkpoint.json

# evaluation (figures in each rampart.json under "evaluation")
$R attack --model models/mnist-cnn-robust --data mnist:test --attack pgd --eps 0.3 --steps 40 --restarts 2 --limit 500 --seed 1 --json --quiet --out /tmp/mnist-cnn-robust-attack.json >/dev/null
$R attack --model models/fashion-cnn-robust --data fashion-mnist:test --attack pgd --eps 0.1 --steps 40 --restarts 2 --limit 500 --seed 1 --json --quiet --out /tmp/fashion-cnn-robust-attack.json >/dev/null
$R certify --method crown --model models/mnist-mlp-ibp --data mnist:test --eps 0.1 --limit 500 --json --quiet --out /tmp/mnist-mlp-ibp-crown.json >/dev/null
$R certify --method smoothing --model models/mnist-cnn-noise --data mnist:test --sigma 0.25 --n 1000 --n0 100 --limit 100 --radii 0,0.25,0.5,0.75,1 --json --quiet --out /tmp/mnist-cnn-noise-smoothing.json >/dev/null
$R certify --method smoothing --model builtin:mnist-cnn --data mnist:test --sigma 0.25 --n 1000 --n0 100 --limit 100 --radii 0,0.25,0.5,0.75,1 --json --quiet --out /tmp/mnist-cnn-smoothing.json >/dev/null
