/**
 * In-process A/B of ONNX Runtime graph-optimisation levels on one generated graph (issue #3): the reference CNN's
 * input-gradient (or, with --train, train-step) graph in two sessions, run alternately; median CPU ms per batch.
 *
 *   npx tsx scripts/ab-ort-level.ts [--runs 30] [--train] [--levels all,extended]
 */
import { setupBackend } from '../src/engine/backend.js';
import { buildArchitecture } from '../src/harden/architectures.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { buildBackwardGraph } from '../src/engine/onnx-grad/generate.js';
import { createRandom } from '../src/engine/random.js';
import { alternatingCpuMedians } from './alternating-cpu.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const RUNS = Number(option('runs', '30'));
const TRAIN = argv.includes('--train');
const LEVELS = option('levels', 'all,extended').split(',') as ('all' | 'extended' | 'basic' | 'disabled')[];
const BATCH = 256;

async function main() {
  await setupBackend();
  const ort = await import('onnxruntime-node');
  const bytes = exportToOnnx(buildArchitecture('cnn', [28, 28, 1], 10, 1));
  const graph = buildBackwardGraph(bytes, TRAIN ? { loss: 'cross-entropy', inputGradient: false, trainable: 'all' } : { loss: 'cross-entropy' });
  const sessions = await Promise.all(LEVELS.map((level) => ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: level })));
  const random = createRandom(5);
  const oneHot = new Float32Array(BATCH * 10);
  for (let i = 0; i < BATCH; i++) oneHot[i * 10 + (i % 10)] = 1;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    [graph.inputName]: new ort.Tensor('float32', Float32Array.from({ length: BATCH * 784 }, () => random.next()), [BATCH, ...graph.sampleDims]),
    rampart_onehot: new ort.Tensor('float32', oneHot, [BATCH, 10]),
    rampart_weight: new ort.Tensor('float32', new Float32Array(BATCH).fill(1), [BATCH]),
  };
  for (const p of graph.parameters) feeds[p.name] = new ort.Tensor('float32', p.initial, p.dims);
  const { medians, loadBefore, loadAfter } = await alternatingCpuMedians(sessions.map((s) => () => s.run(feeds)), RUNS);
  console.log(`cnn ${TRAIN ? 'train step' : 'input gradient'}: ${LEVELS.map((l, i) => `${l} ${medians[i].toFixed(1)} ms`).join(' vs ')} CPU/batch (median of ${RUNS}); load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`);
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
