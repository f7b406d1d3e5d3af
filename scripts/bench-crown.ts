/**
 * Bound propagation speed: seconds per sample of IBP, CROWN and α-CROWN (margin bounds, one ε) on builtin:mnist-mlp
 * and builtin:mnist-cnn, on the first `--limit` MNIST test digits in batches of `--batch`, with the certified
 * counts. Ratios are printed against IBP in the same run (the peer: one forward interval pass). Markdown output.
 *
 *   npx tsx scripts/bench-crown.ts [--limit 32] [--batch 16] [--eps 0.01] [--steps 20] [--models mnist-mlp,mnist-cnn]
 */
import { setupBackend } from '../src/engine/backend.js';
import { loadModel } from '../src/engine/load.js';
import { tf } from '../src/engine/tf.js';
import { openDataset, loadAll } from '../src/data/index.js';
import { boundGraphFromModel, toGraphInput } from '../src/certify/bounds/graph.js';
import { verifyBatch, type BoundMethod } from '../src/certify/certified-accuracy.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const LIMIT = Number(option('limit', '32'));
const BATCH = Number(option('batch', '16'));
const EPS = Number(option('eps', '0.01'));
const STEPS = Number(option('steps', '20'));
const MODELS = option('models', 'mnist-mlp,mnist-cnn').split(',');

async function main(): Promise<void> {
  const backend = await setupBackend();
  const data = await loadAll(await openDataset('mnist:test', { limit: LIMIT }));
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const rows: string[] = [];
  for (const name of MODELS) {
    const model = await loadModel(`builtin:${name}`);
    const { graph, layout } = boundGraphFromModel(model);
    const perMethod: Record<string, { seconds: number; certified: number }> = {};
    for (const method of ['ibp', 'crown', 'alpha-crown'] as BoundMethod[]) {
      let seconds = 0;
      let certified = 0;
      for (let start = 0; start < data.count; start += BATCH) {
        const end = Math.min(data.count, start + BATCH);
        const x = tf.tensor(data.x.subarray(start * size, end * size), [end - start, ...data.sampleShape]);
        const center = toGraphInput(x, graph, layout);
        const t0 = performance.now();
        const v = await verifyBatch(graph, center, data.y.slice(start, end), model.numClasses, method, 'linf', EPS, [0, 1], {}, { steps: STEPS });
        seconds += (performance.now() - t0) / 1000;
        certified += v.reduce((a, b) => a + b, 0);
        tf.dispose([x, center]);
      }
      perMethod[method] = { seconds, certified };
      process.stderr.write(`${name} ${method}: ${(seconds / data.count).toFixed(4)} s/sample, certified ${certified}/${data.count}\n`);
    }
    const ibp = perMethod.ibp!.seconds;
    for (const [method, r] of Object.entries(perMethod)) {
      rows.push(`| ${name} | ${method} | ${(r.seconds / data.count).toFixed(4)} | ${(r.seconds / ibp).toFixed(0)}× | ${r.certified}/${data.count} |`);
    }
    graph.dispose();
    model.dispose();
  }
  process.stdout.write(
    [
      `Bound propagation, L∞ ε = ${EPS}, ${data.count} MNIST test digits, batches of ${BATCH}, α-CROWN ${STEPS} Adam steps, backend ${backend}`,
      '',
      '| model | method | s / sample | × IBP | certified |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n') + '\n',
  );
}

void main();
