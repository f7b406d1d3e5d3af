/**
 * Attack speed: PGD-40 L∞ ε = 0.1 on the first 1,000 MNIST test images with builtin:mnist-cnn, Rampart (harness,
 * tfjs gradients, ONNX Runtime re-verification) against the same attack in PyTorch
 * (`scripts/crosscheck-attacks-torch.py` on the model's ONNX weights, /usr/bin/python3): the same samples, no
 * random start, 40 steps of α = 2.5·ε/40, every step run (Rampart's early stop is off), batches of `--batch`.
 * PyTorch runs with 1 thread (tfjs-wasm uses one under Node) and with 2. The engines run round-robin for `--rounds`
 * rounds (median reported, min–max beside it). Prints images/s, the ratios and both robust accuracies as Markdown.
 *
 *   npm run bench:attacks -- [--rounds 3] [--limit 1000] [--batch 100] [--eps 0.1] [--steps 40] [--threads 1,2] [--early-stop]
 *
 * `--early-stop` adds a Rampart run with its default early stop (batches end once every sample is broken).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setupBackend } from '../src/engine/backend.js';
import { builtinModelsDir, loadModel } from '../src/engine/load.js';
import { openDataset, loadAll, writeNpzFile } from '../src/data/index.js';
import { createVerifier, runAttacks } from '../src/attacks/harness.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const LIMIT = Number(option('limit', '1000'));
const BATCH = Number(option('batch', '100'));
const EPS = Number(option('eps', '0.1'));
const STEPS = Number(option('steps', '40'));
const THREADS = option('threads', '1,2').split(',').map(Number);
const EARLY_STOP = argv.includes('--early-stop');
const ROUNDS = Number(option('rounds', '3'));

async function main(): Promise<void> {
  const backend = await setupBackend();
  const onnxFile = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
  const model = await loadModel('builtin:mnist-cnn');
  const gradientEngine = (await (model as { gradientEngine?: () => Promise<{ engine: string }> }).gradientEngine?.())?.engine ?? backend;
  const verifier = await createVerifier(model, { onnxFile });
  const data = await openDataset('mnist:test', { limit: LIMIT });
  const all = await loadAll(data);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-attacks-'));
  const npz = path.join(dir, 'samples.npz');
  await writeNpzFile(npz, { x: { data: all.x, shape: [all.count, ...all.sampleShape] }, y: { data: all.y, shape: [all.count] } });

  const rampartRun = async (earlyStop: boolean) => {
    const started = performance.now();
    const report = await runAttacks({
      model,
      data,
      verifier,
      attacks: [{ id: 'pgd', options: { steps: STEPS, randomStart: false, earlyStop } }],
      norm: 'linf',
      epsilons: [EPS],
      batchSize: BATCH,
    });
    return { seconds: (performance.now() - started) / 1000, robust: report.worstCase[0].robustAccuracy, note: '' };
  };
  const torchRun = async (threads: number) => {
    const run = spawnSync('/usr/bin/python3', ['scripts/crosscheck-attacks-torch.py', '--onnx', onnxFile, '--data', npz, '--norm', 'linf', '--eps', String(EPS), '--steps', String(STEPS), '--batch', String(BATCH), '--threads', String(threads)], {
      // torch.set_num_threads leaves Debian torch's OpenBLAS pool spinning on the other core: pin it too
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr.trim().split('\n').pop()}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { torch: string; results: { robust: number; seconds: number }[] };
    return { seconds: result.results[0].seconds, robust: result.results[0].robust, note: result.torch };
  };
  interface Engine {
    name: string;
    threads: number;
    run: () => Promise<{ seconds: number; robust: number; note: string }>;
    seconds: number[];
    robust: number;
    note: string;
  }
  const engines: Engine[] = [
    { name: `rampart (${gradientEngine} gradients, ORT verification)`, threads: 1, run: () => rampartRun(false), seconds: [], robust: NaN, note: '' },
    ...THREADS.map((threads) => ({ name: 'torch', threads, run: () => torchRun(threads), seconds: [], robust: NaN, note: '' })),
  ];
  if (EARLY_STOP) engines.push({ name: 'rampart, early stop on (default)', threads: 1, run: () => rampartRun(true), seconds: [], robust: NaN, note: '' });
  // Round-robin with a rotating start, so load drift on a shared machine hits every engine alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < engines.length; k++) {
      const engine = engines[(round + k) % engines.length];
      try {
        const r = await engine.run();
        engine.seconds.push(r.seconds);
        engine.robust = r.robust;
        engine.note = r.note;
      } catch (error) {
        engine.note = (error as Error).message;
      }
    }
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const rampartSeconds = median(engines[0].seconds);
  const rows: string[][] = [['engine', 'threads', 'median s (min–max)', 'images/s', 'engine s ÷ Rampart s', 'robust accuracy']];
  for (const engine of engines) {
    if (engine.seconds.length === 0) {
      rows.push([engine.name, String(engine.threads), '-', '-', '-', `failed: ${engine.note}`]);
      continue;
    }
    const m = median(engine.seconds);
    rows.push([
      engine.name === 'torch' ? `torch ${engine.note}` : engine.name,
      String(engine.threads),
      `${m.toFixed(1)} (${Math.min(...engine.seconds).toFixed(1)}–${Math.max(...engine.seconds).toFixed(1)})`,
      (LIMIT / m).toFixed(1),
      (m / rampartSeconds).toFixed(2),
      `${(engine.robust * 100).toFixed(1)}%`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`PGD-${STEPS} L∞ ε=${EPS}, no random start, α = 2.5·ε/${STEPS}, ${LIMIT} MNIST test images, builtin:mnist-cnn, batch ${BATCH}; ${os.cpus().length} cores`);
  for (const row of rows) console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
  console.log(`${ROUNDS} round(s), round-robin; "engine s ÷ Rampart s" > 1 means Rampart is faster`);
  fs.rmSync(dir, { recursive: true, force: true });
  verifier.dispose();
  model.dispose();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(3);
});
