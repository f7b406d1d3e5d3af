/**
 * Cross-check of Rampart's PGD against an independent PyTorch PGD (not part of the test suite).
 *
 * For each model (default: the shipped MNIST MLP and CNN) the script exports the TF.js model to ONNX with
 * Rampart's exporter, writes the first `--limit` MNIST test images to an NPZ, and runs the same PGD — no random
 * start, `--steps` steps of α = 2.5·ε/steps on the summed cross-entropy, projection after every step, success if
 * any iterate is misclassified — in Rampart (harness + ONNX Runtime re-verification) and in PyTorch
 * (`scripts/crosscheck-attacks-torch.py`, /usr/bin/python3, the same ONNX weights run with torch ops) on the same
 * samples. It prints both robust accuracies per (model, norm, ε) and fails (exit 1) when any pair differs by more
 * than 1.5 percentage points.
 *
 *   npm run crosscheck:attacks -- [--models mnist-mlp,mnist-cnn] [--limit 500] [--steps 40]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setupBackend } from '../src/engine/backend.js';
import { loadModel } from '../src/engine/load.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { TfjsModel } from '../src/engine/tfjs-model.js';
import { openDataset, loadAll, writeNpzFile } from '../src/data/index.js';
import { createVerifier, runAttacks } from '../src/attacks/harness.js';
import type { Norm } from '../src/threat/threat-model.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const MODELS = option('models', 'mnist-mlp,mnist-cnn').split(',');
const LIMIT = Number(option('limit', '500'));
const STEPS = Number(option('steps', '40'));
const TOLERANCE_POINTS = 1.5;
const SWEEPS: { norm: Norm; epsilons: number[] }[] = [
  { norm: 'linf', epsilons: [0.05, 0.1, 0.15] },
  { norm: 'l2', epsilons: [1, 1.5, 2] },
];
const PYTHON = '/usr/bin/python3';

interface TorchResult {
  torch: string;
  clean: number;
  results: { eps: number; robust: number; robustLastIterate: number; seconds: number }[];
}

async function main(): Promise<void> {
  await setupBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-crosscheck-'));
  const data = await openDataset('mnist:test', { limit: LIMIT });
  const all = await loadAll(data);
  const npz = path.join(dir, 'samples.npz');
  await writeNpzFile(npz, { x: { data: all.x, shape: [all.count, ...all.sampleShape] }, y: { data: all.y, shape: [all.count] } });
  const rows: string[][] = [['model', 'norm', 'ε', 'Rampart robust', 'PyTorch robust', 'Δ points', 'PyTorch last iterate', 'Rampart s', 'PyTorch s']];
  let worst = 0;
  for (const name of MODELS) {
    const model = await loadModel(`builtin:${name}`);
    if (!(model instanceof TfjsModel) || !model.layersModel) throw new Error(`builtin:${name} is not a TF.js layers model`);
    const onnxFile = path.join(dir, `${name}.onnx`);
    fs.writeFileSync(onnxFile, exportToOnnx(model.layersModel));
    const verifier = await createVerifier(model, { onnxFile });
    for (const { norm, epsilons } of SWEEPS) {
      const report = await runAttacks({
        model,
        data,
        verifier,
        attacks: [{ id: 'pgd', options: { steps: STEPS, randomStart: false, earlyStop: false } }],
        norm,
        epsilons,
        batchSize: 100,
      });
      const torch = spawnSync(PYTHON, ['scripts/crosscheck-attacks-torch.py', '--onnx', onnxFile, '--data', npz, '--norm', norm, '--eps', epsilons.join(','), '--steps', String(STEPS), '--threads', '2'], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (torch.status !== 0) throw new Error(`PyTorch run failed: ${torch.stderr}`);
      const reference = JSON.parse(torch.stdout.trim().split('\n').pop()!) as TorchResult;
      if (Math.abs(reference.clean - report.clean.accuracy) > 1e-6) {
        console.warn(`note: clean accuracy differs (Rampart ${report.clean.accuracy}, PyTorch ${reference.clean})`);
      }
      report.attacks[0].results.forEach((r, e) => {
        const t = reference.results[e];
        const delta = (r.robustAccuracy - t.robust) * 100;
        worst = Math.max(worst, Math.abs(delta));
        rows.push([
          name,
          norm,
          String(r.epsilon),
          `${(r.robustAccuracy * 100).toFixed(1)}%`,
          `${(t.robust * 100).toFixed(1)}%`,
          delta.toFixed(1),
          `${(t.robustLastIterate * 100).toFixed(1)}%`,
          r.seconds.toFixed(1),
          t.seconds.toFixed(1),
        ]);
      });
    }
    verifier.dispose();
    model.dispose();
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`PGD-${STEPS} (no random start, α = 2.5·ε/${STEPS}) on ${LIMIT} MNIST test images; robust accuracy over all samples`);
  for (const row of rows) console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
  console.log(`largest difference: ${worst.toFixed(2)} points (tolerance ${TOLERANCE_POINTS})`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (worst > TOLERANCE_POINTS) {
    console.error('crosscheck:attacks FAILED');
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(3);
});
