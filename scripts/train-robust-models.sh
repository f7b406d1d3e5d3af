#!/usr/bin/env bash
# Re-trains the hardened models shipped in models/ with the exact commands recorded in each rampart.json, then
# evaluates them with Rampart's own CLI (the figures recorded under "evaluation" in each sidecar).
# Wall time on the shared 2-core machine (load 3-8, three trainings at once): mnist-cnn-robust ≈95 min,
# fashion-cnn-robust ≈39 + 22 + 16 + 4 min, mnist-mlp-ibp ≈27 min (ONNX Runtime engine), mnist-cnn-noise 8 min; evaluations 1-5 min each.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
R="node dist/cli/main.js"

# L∞ ε = 0.3 PGD adversarial training (Madry et al.) of a fresh, seeded reference CNN on the 7,500 training digits:
# PGD-10 (α = 2.5ε/10, random start), ε ramped from 0 over the first 25 % of steps, 30 epochs, Adam + cosine
$R harden --model cnn --data mnist:train --val-split 500 --adv pgd --eps 0.3 --steps 10 --eps-ramp 0.25 --epochs 30 --batch-size 128 --lr 0.001 --schedule cosine --eval-samples 200 --eval-steps 20 --select robust --seed 11 --out models/mnist-cnn-robust --name mnist-cnn-robust
# L∞ ε = 0.1 fine-tuning of builtin:fashion-cnn in five stages: FGSM-RS on 10,000 images (8 epochs), PGD-5 (3), then
# PGD-7 on 20,000 images (3 epochs) and on all 60,000 (2 epochs), and one epoch of PGD-7 at ε_train = 0.12 on 30,000
FSTAGE1=$(mktemp -d); FSTAGE2=$(mktemp -d); FSTAGE3=$(mktemp -d); FSTAGE4=$(mktemp -d)
$R harden --model builtin:fashion-cnn --data fashion-mnist:train --limit 10000 --val-split 500 --adv fgsm-rs --eps 0.1 --eps-ramp 0.3 --epochs 8 --batch-size 128 --lr 0.001 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 1 --out "$FSTAGE1" --name fashion-cnn-robust
$R harden --model "$FSTAGE1" --data fashion-mnist:train --limit 10000 --val-split 500 --adv pgd --eps 0.1 --steps 5 --epochs 3 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 3 --test-limit 2000 --out "$FSTAGE2" --name fashion-cnn-robust
$R harden --model "$FSTAGE2" --data fashion-mnist:train --limit 20000 --val-split 500 --adv pgd --eps 0.1 --steps 7 --epochs 3 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 5 --test-limit 2000 --out "$FSTAGE3" --name fashion-cnn-robust
$R harden --model "$FSTAGE3" --data fashion-mnist:train --val-split 500 --adv pgd --eps 0.1 --steps 7 --epochs 2 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 200 --eval-steps 10 --select robust --seed 6 --test-limit 2000 --out "$FSTAGE4" --name fashion-cnn-robust
$R harden --model "$FSTAGE4" --data fashion-mnist:train --limit 30000 --val-split 500 --adv pgd --eps 0.12 --steps 7 --epochs 1 --batch-size 128 --lr 0.0003 --schedule cosine --eval-samples 200 --eval-steps 10 --select last --seed 7 --test-limit 2000 --out models/fashion-cnn-robust --name fashion-cnn-robust
$R eval --model models/fashion-cnn-robust --data fashion-mnist:test --json --quiet >/dev/null   # testAccuracy in rampart.json is this (10,000 images)
# IBP certified training (Gowal et al.) of a fresh, seeded MLP 784-1024-1024-10 at ε_train = 0.15 (ramped over 5-50 %
# of steps, κ 1 → 0), 120 epochs with 1-pixel shifts and 8° rotations, on the ONNX Runtime engine's IBP graph; the
# checkpoint with the best held-out IBP-verified accuracy at ε = 0.1 (see the config)
$R harden --config scripts/configs/mnist-mlp-ibp.yaml --out models/mnist-mlp-ibp
# Gaussian-noise (σ = 0.25) fine-tuning of builtin:mnist-cnn for randomized smoothing
$R harden --model builtin:mnist-cnn --data mnist:train --val-split 500 --noise 0.25 --epochs 3 --batch-size 128 --lr 0.0005 --schedule cosine --eval-samples 0 --select clean --seed 1 --out models/mnist-cnn-noise --name mnist-cnn-noise
# checkpoints are for resuming, not for shipping
rm -f models/{mnist-cnn-robust,fashion-cnn-robust,mnist-mlp-ibp,mnist-cnn-noise}/checkpoint.json

# evaluation (figures in each rampart.json under "evaluation")
$R attack --model models/mnist-cnn-robust --data mnist:test --attack pgd --eps 0.3 --steps 40 --restarts 2 --seed 1 --json --quiet --out /tmp/mnist-cnn-robust-attack.json >/dev/null
$R attack --model models/fashion-cnn-robust --data fashion-mnist:test --attack pgd --eps 0.1 --steps 40 --restarts 2 --seed 1 --json --quiet --out /tmp/fashion-cnn-robust-attack.json >/dev/null
# AutoAttack-style cascade (APGD-CE → APGD-T → Square) on the first 500 test images of each, as a check on PGD
$R attack --model models/mnist-cnn-robust --data mnist:test --preset autoattack --eps 0.3 --limit 500 --seed 1 --json --quiet --out /tmp/mnist-cnn-robust-autoattack.json >/dev/null
$R attack --model models/fashion-cnn-robust --data fashion-mnist:test --preset autoattack --eps 0.1 --limit 500 --seed 1 --json --quiet --out /tmp/fashion-cnn-robust-autoattack.json >/dev/null
$R certify --method crown --model models/mnist-mlp-ibp --data mnist:test --eps 0.1 --limit 500 --json --quiet --out /tmp/mnist-mlp-ibp-crown.json >/dev/null
$R certify --method crown --model models/mnist-mlp-ibp --data mnist:test --eps 0.1 --no-pgd --json --quiet --out /tmp/mnist-mlp-ibp-crown-2000.json >/dev/null
$R certify --method smoothing --model models/mnist-cnn-noise --data mnist:test --sigma 0.25 --n 1000 --n0 100 --limit 100 --radii 0,0.25,0.5,0.75,1 --json --quiet --out /tmp/mnist-cnn-noise-smoothing.json >/dev/null
$R certify --method smoothing --model builtin:mnist-cnn --data mnist:test --sigma 0.25 --n 1000 --n0 100 --limit 100 --radii 0,0.25,0.5,0.75,1 --json --quiet --out /tmp/mnist-cnn-smoothing.json >/dev/null
