/**
 * Randomized smoothing throughput: noisy samples per second through CERTIFY's sampling loop (Gaussian noise on the
 * host, forward pass, top-1 counts) on builtin:mnist-cnn, for
 * - ONNX Runtime (models/mnist-cnn/model.onnx on host arrays, `ortNoiseClassifier`, 1 thread),
 * - the TF.js path (the tfjs-layers model's `logits` on the active backend, `modelNoiseClassifier`),
 * - PyTorch (scripts/bench-smoothing-torch.py: the same CNN rebuilt in torch with the ONNX weights, torch.randn
 *   noise, 1 thread), when /usr/bin/python3 has torch and onnx.
 * Also the host noise generator alone. Prints Markdown with ratios against ONNX Runtime, all from the same run.
 *
 *   npx tsx scripts/bench-smoothing.ts [--images 3] [--n 10000] [--batch 1000] [--tfjs-n 2000] [--sigma 0.25]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setupBackend } from '../src/engine/backend.js';
import { builtinModelsDir, loadModel } from '../src/engine/load.js';
import { createRandom } from '../src/engine/random.js';
import { loadAll, openDataset } from '../src/data/index.js';
import { fillNoisyCopies } from '../src/certify/noise.js';
import { sampleNoiseCounts } from '../src/certify/smoothing.js';
import { modelNoiseClassifier, ortNoiseClassifier, type NoiseClassifier } from '../src/certify/smoothing-classifier.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const IMAGES = Number(option('images', '3'));
const N = Number(option('n', '10000'));
const TFJS_N = Number(option('tfjs-n', '2000'));
const BATCH = Number(option('batch', '1000'));
const SIGMA = Number(option('sigma', '0.25'));

async function rate(classifier: NoiseClassifier, x: Float32Array, n: number): Promise<{ rate: number; counts: number[][] }> {
  const size = 784;
  const counts: number[][] = [];
  await sampleNoiseCounts(classifier, classifier.toClassifierLayout(x.subarray(0, size)), Math.min(n, BATCH), SIGMA, BATCH, createRandom(99)); // warm-up
  const start = performance.now();
  for (let k = 0; k < IMAGES; k++) {
    const c = await sampleNoiseCounts(classifier, classifier.toClassifierLayout(x.subarray(k * size, (k + 1) * size)), n, SIGMA, BATCH, createRandom(k));
    counts.push([...c]);
  }
  return { rate: (IMAGES * n) / ((performance.now() - start) / 1000), counts };
}

async function main(): Promise<void> {
  const backend = await setupBackend();
  const onnxFile = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
  const data = await loadAll(await openDataset('mnist:test', { limit: IMAGES }));
  const ort = await ortNoiseClassifier(onnxFile, { maxChunk: BATCH });
  const tfjsModel = await loadModel('builtin:mnist-cnn');
  const tfjs = modelNoiseClassifier(tfjsModel);

  const noiseBuffer = new Float32Array(BATCH * 784);
  const noiseStart = performance.now();
  const noiseRounds = Math.max(1, Math.round(N / BATCH));
  for (let r = 0; r < noiseRounds; r++) fillNoisyCopies(data.x.subarray(0, 784), BATCH, SIGMA, createRandom(r), noiseBuffer);
  const noiseRate = (noiseRounds * BATCH) / ((performance.now() - noiseStart) / 1000);

  const ortResult = await rate(ort, data.x, N);
  const tfjsResult = await rate(tfjs, data.x, TFJS_N);

  let torchLine = '| PyTorch (same weights) | not run: /usr/bin/python3 lacks torch or onnx | | |';
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-smoothing-')), 'images.f32');
  fs.writeFileSync(file, Buffer.from(data.x.buffer, data.x.byteOffset, data.x.byteLength));
  const py = spawnSync('/usr/bin/python3', [path.join('scripts', 'bench-smoothing-torch.py'), '--images', file, '--count', String(IMAGES), '--n', String(N), '--batch', String(BATCH), '--sigma', String(SIGMA), '--model', onnxFile], { encoding: 'utf8' });
  let torchNote = '';
  if (py.status === 0) {
    const out = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { torch: string; seconds: number; draws: number; counts: number[][]; logits: number[][] };
    // Same function? Compare the clean logits with ONNX Runtime's.
    const arranged = new Float32Array(IMAGES * 784);
    for (let k = 0; k < IMAGES; k++) arranged.set(ort.toClassifierLayout(data.x.subarray(k * 784, (k + 1) * 784)), k * 784);
    const ortLogits = await ort.logits(arranged, IMAGES);
    const diff = out.logits.flat().reduce((m, v, i) => Math.max(m, Math.abs(v - ortLogits[i])), 0);
    const torchRate = out.draws / out.seconds;
    torchLine = `| PyTorch ${out.torch} (same weights, torch.randn) | ${torchRate.toFixed(0)} | ${(ortResult.rate / torchRate).toFixed(2)}× | ${out.counts.map((c) => Math.max(...c)).join(', ')} |`;
    torchNote = `PyTorch vs ONNX Runtime clean logits: max |difference| ${diff.toExponential(2)}.`;
  } else {
    torchNote = `PyTorch peer failed: ${(py.stderr || '').trim().split('\n').at(-1)}`;
  }

  console.log(`## Randomized smoothing sampling throughput, builtin:mnist-cnn (${IMAGES} digits, σ = ${SIGMA}, batch ${BATCH}, 1 thread each, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})\n`);
  console.log('| path | noisy samples/s | ONNX Runtime speed-up | top count per digit |');
  console.log('|---|---:|---:|---|');
  console.log(`| ONNX Runtime (model.onnx, host noise), n = ${N} | ${ortResult.rate.toFixed(0)} | 1.00× | ${ortResult.counts.map((c) => Math.max(...c)).join(', ')} |`);
  console.log(`| TF.js (${backend}), n = ${TFJS_N} | ${tfjsResult.rate.toFixed(0)} | ${(ortResult.rate / tfjsResult.rate).toFixed(2)}× | ${tfjsResult.counts.map((c) => Math.max(...c)).join(', ')} |`);
  console.log(torchLine);
  console.log(`\nHost Gaussian noise alone: ${noiseRate.toFixed(0)} noisy 28×28 images/s. ${torchNote}`);
  ort.dispose();
  tfjsModel.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
