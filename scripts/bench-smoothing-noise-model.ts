/**
 * Trains a Gaussian-noise MNIST CNN for the smoothing measurements in docs/certify-smoothing.md, using the noise
 * hook `gaussianNoiseAugmentation` (src/certify/noise.ts) in a plain Adam loop: fine-tunes the weights of
 * builtin:mnist-cnn on mnist:train with every batch replaced by x + N(0, σ²) (unclipped, as Cohen et al. train).
 * Writes a TF.js model + model.onnx (checked against TF.js) to --out. For measurement only; not a shipped model.
 *
 *   npx tsx scripts/bench-smoothing-noise-model.ts --sigma 0.25 --epochs 8 --out /tmp/rs/mnist-cnn-noise
 */
import fs from 'node:fs';
import path from 'node:path';
import { setupBackend } from '../src/engine/backend.js';
import { tf, type Tensor2D } from '../src/engine/tf.js';
import { loadModel } from '../src/engine/load.js';
import { TfjsModel } from '../src/engine/tfjs-model.js';
import { createRandom, permutation } from '../src/engine/random.js';
import { folderSaveHandler } from '../src/engine/tfjs-io.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { verifyOnnxExport } from '../src/engine/export-verify.js';
import { loadAll, openDataset } from '../src/data/index.js';
import { evaluateAccuracy } from '../src/metrics/accuracy.js';
import { gaussianNoiseAugmentation } from '../src/certify/noise.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const SIGMA = Number(option('sigma', '0.25'));
const EPOCHS = Number(option('epochs', '8'));
const LR = Number(option('lr', '0.0005'));
const BATCH = Number(option('batch-size', '128'));
const SEED = Number(option('seed', '1'));
const OUT = option('out', '/tmp/rs/mnist-cnn-noise');

async function main(): Promise<void> {
  const backend = await setupBackend();
  const base = (await loadModel('builtin:mnist-cnn', { gradients: 'tfjs' })) as TfjsModel;
  const network = base.layersModel!;
  const train = await loadAll(await openDataset('mnist:train'));
  const size = train.sampleShape.reduce((a, b) => a * b, 1);
  const augment = gaussianNoiseAugmentation({ sigma: SIGMA, seed: SEED });
  const random = createRandom(SEED + 1);
  const optimizer = tf.train.adam(LR);
  const variables = network.trainableWeights.map((w) => w.read() as tf.Variable);
  const steps = Math.ceil(train.count / BATCH);
  const started = performance.now();
  for (let epoch = 1, step = 0; epoch <= EPOCHS; epoch++) {
    const order = permutation(train.count, random);
    let lossSum = 0;
    for (let b = 0; b < steps; b++, step++) {
      const idx = order.subarray(b * BATCH, Math.min(train.count, (b + 1) * BATCH));
      const x = new Float32Array(idx.length * size);
      const y = new Int32Array(idx.length);
      idx.forEach((k, i) => {
        x.set(train.x.subarray(k * size, (k + 1) * size), i * size);
        y[i] = train.y[k];
      });
      const noisy = augment({ x, y });
      (optimizer as unknown as { learningRate: number }).learningRate = 0.5 * LR * (1 + Math.cos((Math.PI * step) / (steps * EPOCHS)));
      const loss = tf.tidy(() => {
        const xs = tf.tensor(noisy.x, [idx.length, ...train.sampleShape]);
        const labels = tf.oneHot(tf.tensor1d(noisy.y, 'int32'), 10);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, network.apply(xs, { training: true }) as Tensor2D) as tf.Scalar, true, variables) as tf.Scalar;
      });
      lossSum += (await loss.data())[0] * idx.length;
      loss.dispose();
    }
    console.log(`epoch ${epoch}/${EPOCHS} loss ${(lossSum / train.count).toFixed(4)} ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const model = TfjsModel.fromLayersModel(network, { id: 'mnist-cnn-noise' });
  fs.mkdirSync(OUT, { recursive: true });
  await network.save(folderSaveHandler(OUT));
  const bytes = exportToOnnx(network, { producer: 'rampart' });
  const check = await verifyOnnxExport(model, bytes);
  if (check.maxAbsLogitDifference > check.tolerance) throw new Error(`ONNX export disagrees (${check.maxAbsLogitDifference})`);
  fs.writeFileSync(path.join(OUT, 'model.onnx'), bytes);
  const clean = await evaluateAccuracy(model, await openDataset('mnist:test'));
  const command = `npx tsx scripts/bench-smoothing-noise-model.ts ${argv.join(' ')}`;
  fs.writeFileSync(
    path.join(OUT, 'rampart.json'),
    JSON.stringify({ name: 'mnist-cnn-noise', command, sigma: SIGMA, epochs: EPOCHS, lr: LR, seed: SEED, backend, base: 'builtin:mnist-cnn', testAccuracy: clean.accuracy, bounds: [0, 1], onnxCheck: check }, null, 2) + '\n',
  );
  console.log(`saved ${OUT}; clean test accuracy ${(clean.accuracy * 100).toFixed(2)}%; ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
