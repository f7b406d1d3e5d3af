/**
 * Throughput of tfjs-backend-wasm before and after Rampart's replacement kernels (src/engine/kernels), on the
 * reference CNN of docs/engine.md (conv32-pool-conv64-pool-dense128-dense10, 28×28×1) and the MLP 784-256-256-10,
 * batch 256, mean softmax cross-entropy; plus the single kernels at the CNN's shapes.
 * Stock figures are taken first in the same process, then the kernels are registered and everything is re-run.
 *
 *   npm run bench:kernels -- [--reps 5] [--batch 256]
 *
 * Prints a Markdown table (images/s and ms per batch, medians). Not a test: timings depend on machine load.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../src/engine/tf.js';
import { registerWasmKernels } from '../src/engine/kernels/index.js';
import { seededFloats } from '../src/engine/kernels/testing.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const REPS = option('reps', 5);
const BATCH = option('batch', 256);

function weightsFor(shapes: number[][], seed: number): tf.Variable[] {
  return shapes.map((shape, i) => {
    const fanIn = shape.length === 1 ? 10 : shape.slice(0, -1).reduce((p, q) => p * q, 1);
    const limit = Math.sqrt(6 / fanIn);
    const initial = tf.tensor(seededFloats(seed + i, shape.reduce((p, q) => p * q, 1), -limit, limit), shape);
    const variable = tf.variable(initial);
    initial.dispose();
    return variable;
  });
}

const cnnWeights = () => weightsFor([[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [1600, 128], [128], [128, 10], [10]], 10);
const mlpWeights = () => weightsFor([[784, 256], [256], [256, 256], [256], [256, 10], [10]], 20);

function cnnLogits(x: Tensor, w: Tensor[]): Tensor2D {
  const [w1, b1, w2, b2, w3, b3, w4, b4] = w;
  const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as Tensor4D, w1 as Tensor4D, 1, 'valid'), b1)) as Tensor4D, 2, 2, 'valid');
  const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, w2 as Tensor4D, 1, 'valid'), b2)) as Tensor4D, 2, 2, 'valid');
  const h3 = tf.relu(tf.add(tf.matMul(tf.reshape(h2, [x.shape[0], -1]), w3 as Tensor2D), b3));
  return tf.add(tf.matMul(h3, w4 as Tensor2D), b4) as Tensor2D;
}

function mlpLogits(x: Tensor, w: Tensor[]): Tensor2D {
  const [w1, b1, w2, b2, w3, b3] = w;
  const h1 = tf.relu(tf.add(tf.matMul(tf.reshape(x, [x.shape[0], 784]), w1 as Tensor2D), b1));
  const h2 = tf.relu(tf.add(tf.matMul(h1 as Tensor2D, w2 as Tensor2D), b2));
  return tf.add(tf.matMul(h2 as Tensor2D, w3 as Tensor2D), b3) as Tensor2D;
}

/** Median milliseconds of `run` over REPS timed runs after one warm-up; NaN with the message if it throws. */
function time(run: () => void): { ms: number; error?: string } {
  try {
    run();
  } catch (e) {
    return { ms: NaN, error: (e as Error).message.split('\n')[0] };
  }
  const samples: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((p, q) => p - q);
  return { ms: samples[Math.floor(samples.length / 2)] };
}

type Row = { name: string; perBatch: boolean; stock?: { ms: number; error?: string }; fixed?: { ms: number; error?: string } };

function measureAll(phase: 'stock' | 'fixed', rows: Map<string, Row>): void {
  const x = tf.tensor4d(seededFloats(1, BATCH * 784, 0, 1), [BATCH, 28, 28, 1]);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10));
  const record = (name: string, perBatch: boolean, run: () => void) => {
    const row = rows.get(name) ?? { name, perBatch };
    row[phase] = time(run);
    rows.set(name, row);
    const result = row[phase]!;
    console.error(`${phase} ${name}: ${result.error ?? `${result.ms.toFixed(1)} ms`}`);
  };
  for (const [model, logitsOf, makeWeights] of [
    ['CNN', cnnLogits, cnnWeights],
    ['MLP', mlpLogits, mlpWeights],
  ] as const) {
    const w = makeWeights();
    const loss = (input: Tensor) => tf.losses.softmaxCrossEntropy(labels, logitsOf(input, w)) as tf.Scalar;
    const optimizer = tf.train.sgd(0.01);
    record(`${model} forward`, true, () => tf.tidy(() => void logitsOf(x, w).dataSync()));
    record(`${model} input gradient`, true, () => tf.tidy(() => void tf.grad(loss)(x).dataSync()));
    record(`${model} train step`, true, () =>
      tf.tidy(() => void optimizer.minimize(() => loss(x), false, w)),
    );
    optimizer.dispose();
    tf.dispose(w);
  }
  // Single kernels at the CNN's shapes.
  const t = (seed: number, shape: number[]) => tf.tensor(seededFloats(seed, shape.reduce((p, q) => p * q, 1)), shape);
  const inputs = {
    h1: t(2, [BATCH, 13, 13, 32]) as Tensor4D,
    w2: t(3, [3, 3, 32, 64]) as Tensor4D,
    dy2: t(4, [BATCH, 11, 11, 64]) as Tensor4D,
    a1: t(5, [BATCH, 26, 26, 32]) as Tensor4D,
    p1: t(6, [BATCH, 13, 13, 32]) as Tensor4D,
    f: t(7, [BATCH, 1600]) as Tensor2D,
    g: t(8, [BATCH, 128]) as Tensor2D,
    w3: t(9, [1600, 128]) as Tensor2D,
  };
  const kernel = (name: string, attrs: object, ins: Record<string, Tensor>) => () =>
    tf.tidy(() => void (tf.engine().runKernel(name, ins, attrs as never) as Tensor).dataSync());
  record('Conv2DBackpropInput [256,13,13,32]←[256,11,11,64]', false,
    kernel('Conv2DBackpropInput', { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [BATCH, 13, 13, 32] }, { dy: inputs.dy2, filter: inputs.w2 }));
  record('Conv2DBackpropFilter [3,3,32,64]', false,
    kernel('Conv2DBackpropFilter', { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] }, { x: inputs.h1, dy: inputs.dy2 }));
  record('MaxPoolGrad 2×2 on [256,26,26,32]', false, () =>
    tf.tidy(() => void tf.grad((v: Tensor) => tf.sum(tf.mul(tf.maxPool(v as Tensor4D, 2, 2, 'valid'), inputs.p1)))(inputs.a1).dataSync()));
  record('MatMul dX = dY·Wᵀ [256,128]×[128,1600]', false, () => tf.tidy(() => void tf.matMul(inputs.g, inputs.w3, false, true).dataSync()));
  record('MatMul dW = Xᵀ·dY [1600,256]×[256,128]', false, () => tf.tidy(() => void tf.matMul(inputs.f, inputs.g, true, false).dataSync()));
  record('Sum over N,H,W of [256,26,26,32]', false, () => tf.tidy(() => void tf.sum(inputs.a1, [0, 1, 2]).dataSync()));
  tf.dispose([x, labels, ...Object.values(inputs)]);
}

async function main(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  await tf.ready();
  const rows = new Map<string, Row>();
  const tensorsAtStart = tf.memory().numTensors;
  measureAll('stock', rows);
  const tensorsAfterStock = tf.memory().numTensors; // the stock train step throws mid-gradient and leaks
  registerWasmKernels(); // binds the kernels into the already-active wasm backend
  measureAll('fixed', rows);
  console.error(
    `tensors: start ${tensorsAtStart}, after stock ${tensorsAfterStock}, after fixed ${tf.memory().numTensors}; ` +
      `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
  );

  const cell = (r: { ms: number; error?: string } | undefined, perBatch: boolean) =>
    r === undefined ? '–' : r.error !== undefined ? 'throws' : perBatch ? `${Math.round((BATCH * 1000) / r.ms)} img/s (${r.ms.toFixed(0)} ms)` : `${r.ms.toFixed(1)} ms`;
  console.log(`| batch ${BATCH}, median of ${REPS} | stock tfjs-wasm 4.22 | with Rampart kernels | speed-up |`);
  console.log('|---|---|---|---|');
  for (const row of rows.values()) {
    const ratio = row.stock && row.fixed && !row.stock.error && !row.fixed.error ? `×${(row.stock.ms / row.fixed.ms).toFixed(1)}` : '–';
    console.log(`| ${row.name} | ${cell(row.stock, row.perBatch)} | ${cell(row.fixed, row.perBatch)} | ${ratio} |`);
  }
}

await main();
