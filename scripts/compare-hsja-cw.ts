/**
 * HopSkipJump (label only, ONNX Runtime forward path) vs C&W L2 (white-box, TF.js) on the same builtin:mnist-cnn
 * test digits: median L2 of the adversarials each finds. Usage:
 *   npx tsx scripts/compare-hsja-cw.ts [samples=100] [queries=10000]
 * Figures are recorded in docs/attacks.md.
 */
import path from 'node:path';
import { tf } from '../src/engine/tf.js';
import { setupBackend } from '../src/engine/backend.js';
import { builtinModelsDir, loadModel } from '../src/engine/load.js';
import { loadOnnxModel } from '../src/engine/onnx/index.js';
import { loadAll, openDataset } from '../src/data/index.js';
import { attackBatch, createVerifier } from '../src/attacks/harness.js';

const samples = Number(process.argv[2] ?? 100);
const queries = Number(process.argv[3] ?? 10000);
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await setupBackend();
const tfjsModel = await loadModel('builtin:mnist-cnn');
const onnxFile = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
const ortModel = await loadOnnxModel(onnxFile, { forwardOnly: true, bounds: tfjsModel.bounds, id: onnxFile });
const data = await loadAll(await openDataset('mnist:test', { limit: samples }));
const x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
const verifier = await createVerifier(ortModel);
// both attacks on the samples the model gets right
const threat = { norm: 'l2' as const, epsilon: 100 };
let started = performance.now();
const hsja = await attackBatch({ model: ortModel, attack: 'hop-skip-jump', options: { queries }, x, labels: data.y, threat, seed: 1, verifier });
const hsjaSeconds = (performance.now() - started) / 1000;
started = performance.now();
const cwVerifier = await createVerifier(tfjsModel, { onnxFile });
const cw = await attackBatch({ model: tfjsModel, attack: 'cw-l2', options: { binarySearchSteps: 5, steps: 200, learningRate: 0.05 }, x, labels: data.y, threat, seed: 1, verifier: cwVerifier });
const cwSeconds = (performance.now() - started) / 1000;
const clean = tf.tidy(() => tf.argMax(tfjsModel.logitsSync(x), 1).dataSync() as Int32Array);
const both: number[] = [];
for (let i = 0; i < data.count; i++) if (clean[i] === data.y[i]) both.push(i);
const dist = (r: typeof hsja, i: number) => (r.success[i] ? r.distance[i] : Infinity);
const result = {
  samples: data.count,
  correct: both.length,
  queriesPerSample: queries,
  hsja: { median: median(both.map((i) => dist(hsja, i))), success: both.filter((i) => hsja.success[i]).length, seconds: hsjaSeconds, forwardQueries: hsja.queries.forward },
  cw: { median: median(both.map((i) => dist(cw, i))), success: both.filter((i) => cw.success[i]).length, seconds: cwSeconds },
};
console.log(JSON.stringify({ ...result, ratio: result.hsja.median / result.cw.median }, null, 2));
hsja.xAdv.dispose();
cw.xAdv.dispose();
x.dispose();
verifier.dispose();
cwVerifier.dispose();
ortModel.dispose();
tfjsModel.dispose();
