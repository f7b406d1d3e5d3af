/**
 * In-process A/B of generated training graphs (issue #3): the reference CNN's train-step graph (batch 256, 1 ORT
 * thread, weights fed as inputs) built with and without one generator option, both sessions run alternately;
 * reports the median CPU time per batch (process user + system: not distorted by waiting for a core on a loaded
 * machine) and the largest relative difference between the two graphs' weight gradients and logits.
 *
 *   npx tsx scripts/ab-ort-train.ts [--runs 24] [--option fuseConvPool] [--a '{"fuseConvPool":false}'] [--b '{...}'] [--net cnn] [--input-gradient]
 */
import { setupBackend } from '../src/engine/backend.js';
import { buildArchitecture } from '../src/harden/architectures.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { buildBackwardGraph, type BackwardGraphOptions } from '../src/engine/onnx-grad/generate.js';
import { createOrtGradientSession } from '../src/engine/ort-gradient.js';
import { createRandom } from '../src/engine/random.js';
import { maxRelativeDifference } from '../src/engine/kernels/testing.js';
import { alternatingCpuMedians } from './alternating-cpu.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const RUNS = Number(option('runs', '24'));
const OPTION = option('option', 'fuseConvPool') as keyof BackwardGraphOptions;
const NET = option('net', 'cnn') as 'cnn' | 'mlp';
const INPUT_GRADIENT = argv.includes('--input-gradient');
const BATCH = 256;

async function main() {
  await setupBackend();
  const layers = buildArchitecture(NET, [28, 28, 1], 10, 1);
  const bytes = exportToOnnx(layers);
  const base: BackwardGraphOptions = INPUT_GRADIENT ? { loss: 'cross-entropy' } : { loss: 'cross-entropy', inputGradient: false, trainable: 'all' };
  const parse = (text: string) => JSON.parse(text) as Partial<BackwardGraphOptions>;
  const variants = { a: { ...base, ...parse(option('a', `{"${OPTION}": false}`)) }, b: { ...base, ...parse(option('b', `{"${OPTION}": true}`)) } };
  const sessions = await Promise.all(Object.values(variants).map((v) => createOrtGradientSession(buildBackwardGraph(bytes, v))));
  // MNIST-like input: mostly exact zeros, strokes of ones and mid values (ties in the pools), plus noise rows.
  const random = createRandom(42);
  const x = Float32Array.from({ length: BATCH * 784 }, (_, i) => {
    const s = Math.floor(i / 784);
    if (s % 4 === 3) return random.next();
    const r = random.next();
    return r < 0.7 ? 0 : r < 0.85 ? 1 : Math.round(r * 8) / 8;
  });
  const labels = Array.from({ length: BATCH }, (_, i) => i % 10);
  const oneHot = new Float32Array(BATCH * 10);
  labels.forEach((l, i) => (oneHot[i * 10 + l] = 1));
  const weight = new Float32Array(BATCH).fill(1 / BATCH);
  const results = await Promise.all(sessions.map((s) => s.run(x, BATCH, oneHot, weight)));
  const diffs: string[] = [`logits ${maxRelativeDifference(results[1].logits, results[0].logits).toExponential(1)}`];
  for (const [name, g] of results[0].parameterGradients) diffs.push(`${name} ${maxRelativeDifference(results[1].parameterGradients.get(name)!, g).toExponential(1)}`);
  if (results[0].inputGradient) diffs.push(`input ${maxRelativeDifference(results[1].inputGradient!, results[0].inputGradient).toExponential(1)}`);
  console.log(`max relative difference (b vs a): ${diffs.join(', ')}`);
  const { medians, loadBefore, loadAfter } = await alternatingCpuMedians(sessions.map((s) => () => s.run(x, BATCH, oneHot, weight)), RUNS);
  const names = Object.keys(variants);
  console.log(
    `${NET} ${INPUT_GRADIENT ? 'input gradient' : 'train step'}, a=${JSON.stringify(variants.a)} b=${JSON.stringify(variants.b)}: ${names.map((n, i) => `${n} ${medians[i].toFixed(1)} ms`).join(' vs ')} CPU/batch (median of ${RUNS}; change ${((medians[1] / medians[0] - 1) * 100).toFixed(1)}%); load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
  );
  for (const s of sessions) await s.release();
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
