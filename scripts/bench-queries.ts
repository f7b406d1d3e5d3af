/**
 * Query throughput for score-based attacks: forward queries per second of builtin:mnist-cnn through ONNX Runtime
 * (its `model.onnx`, loaded forward-only) against the TF.js path (the built-in tfjs-layers model's `logits`), at
 * several batch sizes, and Square Attack end to end (L∞ `--eps`, `--queries` per sample) on each path, each path
 * verified by itself (so the harness does not route the TF.js run's queries through ONNX Runtime).
 * Median of `--rounds` rounds. Prints Markdown.
 *
 *   npm run bench:queries -- [--rounds 3] [--calls 200] [--batches 1,50,100] [--images 50] [--queries 300] [--eps 0.1]
 */
import path from 'node:path';
import { setupBackend } from '../src/engine/backend.js';
import { builtinModelsDir, loadModel } from '../src/engine/load.js';
import { loadOnnxModel } from '../src/engine/onnx/index.js';
import { scoresOnly } from '../src/engine/query-model.js';
import { tf } from '../src/engine/tf.js';
import type { Model } from '../src/engine/model.js';
import { loadAll, openDataset } from '../src/data/index.js';
import { attackBatch, createVerifier } from '../src/attacks/harness.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const ROUNDS = Number(option('rounds', '3'));
const CALLS = Number(option('calls', '200'));
const BATCHES = option('batches', '1,50,100').split(',').map(Number);
const IMAGES = Number(option('images', '50'));
const QUERIES = Number(option('queries', '300'));
const EPS = Number(option('eps', '0.1'));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function forwardRate(model: Model, x: tf.Tensor, batch: number): Promise<number> {
  const rows = tf.slice(x, 0, batch);
  const once = async () => (await model.logits(rows)).dispose();
  for (let i = 0; i < 5; i++) await once();
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) await once();
  const seconds = (performance.now() - start) / 1000;
  rows.dispose();
  return (CALLS * batch) / seconds;
}

async function main(): Promise<void> {
  const backend = await setupBackend();
  const onnxFile = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
  const tfjs = await loadModel('builtin:mnist-cnn');
  const ort = await loadOnnxModel(onnxFile, { forwardOnly: true, id: 'builtin:mnist-cnn (ONNX Runtime)' });
  const data = await loadAll(await openDataset('mnist:test', { limit: Math.max(IMAGES, ...BATCHES) }));
  const x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
  const paths: [string, Model][] = [
    ['ONNX Runtime (model.onnx)', ort],
    [`TF.js (${backend})`, tfjs],
  ];
  console.log(`## Query throughput, builtin:mnist-cnn (median of ${ROUNDS} rounds)\n`);
  console.log(`| path | ${BATCHES.map((b) => `batch ${b} (queries/s)`).join(' | ')} | Square L∞ ε=${EPS}, ${IMAGES} images, ≤${QUERIES} queries: queries/s | Square success |`);
  console.log(`|---|${BATCHES.map(() => '---:').join('|')}|---:|---:|`);
  const images = tf.slice(x, 0, IMAGES);
  const labels = data.y.slice(0, IMAGES);
  for (const [name, model] of paths) {
    const verifier = await createVerifier(model);
    const rates = BATCHES.map(() => [] as number[]);
    const squareRates: number[] = [];
    let success = '';
    for (let round = 0; round < ROUNDS; round++) {
      for (let b = 0; b < BATCHES.length; b++) rates[b].push(await forwardRate(model, x, BATCHES[b]));
      const start = performance.now();
      const r = await attackBatch({ model: scoresOnly(model), attack: 'square', options: { queries: QUERIES }, x: images, labels, threat: { norm: 'linf', epsilon: EPS }, seed: round, verifier });
      r.xAdv.dispose();
      squareRates.push(r.queries.forward / ((performance.now() - start) / 1000));
      success = `${r.success.reduce((a, v) => a + v, 0)}/${IMAGES}`;
    }
    verifier.dispose();
    console.log(`| ${name} | ${rates.map((r) => median(r).toFixed(0)).join(' | ')} | ${median(squareRates).toFixed(0)} | ${success} |`);
  }
  tf.dispose([x, images]);
  ort.dispose();
  tfjs.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
