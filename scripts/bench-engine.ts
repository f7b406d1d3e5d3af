/**
 * Engine speed: forward, input-gradient and training-step throughput of Rampart's two paths against PyTorch,
 * on the reference CNN (conv32-pool-conv64-pool-fc128-fc10, 28×28×1) and the MLP 784-256-256-10, batch 256,
 * softmax cross-entropy (input gradient of the summed loss; train step = mean-loss weight gradients + SGD with
 * momentum 0.9).
 *
 * Engines: rampart-wasm (tfjs-backend-wasm with Rampart's kernels; one thread: tfjs ignores threads under Node),
 * rampart-ort (onnxruntime-node: forward session, generated backward graph, ORT trainer) and torch (a
 * `/usr/bin/python3 scripts/bench-engine-torch.py --serve` child per thread count; skipped with a note when
 * torch does not import). Every (net, engine, mode, threads) cell is timed `--reps` times per round and the
 * rounds go round-robin over all cells (start rotated each round), so machine-load drift hits every engine;
 * the figure is the median over rounds of the per-round medians. Each call's CPU time per batch (user + system of
 * the process that ran it: this one, or the torch child via /proc) is recorded too, and its median over rounds
 * gives a second ratio that waiting for a core on a loaded machine does not distort.
 *
 *   npm run bench:engine -- [--rounds 3] [--reps 5] [--threads 1,2] [--nets cnn,mlp] [--pgd 10000] [--out FILE]
 *
 * `--pgd N` also runs PGD-40 (L∞ ε = 0.3, step 0.01) on N random images with the CNN's ORT gradient, in a fresh
 * child process, and reports its peak RSS and the tfjs tensor count before/after. Writes `bench/results/engine.json` and prints Markdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../src/engine/tf.js';
import { setupBackend } from '../src/engine/backend.js';
import { buildArchitecture } from '../src/harden/architectures.js';
import { TfjsModel } from '../src/engine/tfjs-model.js';
import { crossEntropy } from '../src/engine/losses.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { createOrtRunner } from '../src/engine/onnx/ort.js';
import { buildBackwardGraph } from '../src/engine/onnx-grad/generate.js';
import { createOrtGradientSession, createOrtGradient } from '../src/engine/ort-gradient.js';
import { createOrtTrainer } from '../src/engine/ort-trainer.js';
import { createRandom } from '../src/engine/random.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const ROUNDS = Number(option('rounds', '3'));
const REPS = Number(option('reps', '5'));
const THREADS = option('threads', '1,2').split(',').map(Number);
const NETS = option('nets', 'cnn,mlp').split(',') as ('cnn' | 'mlp')[];
const PGD = Number(option('pgd', '0'));
const PGD_CHILD = Number(option('pgd-child', '0'));
const OUT = option('out', 'bench/results/engine.json');
const BATCH = 256;
const MODES = ['forward', 'inputGradient', 'trainStep'] as const;
type Mode = (typeof MODES)[number];
type Engine = 'rampart-wasm' | 'rampart-ort' | 'torch';

interface Measured {
  /** Per-batch wall seconds of `reps` timed runs (after warm-up). */
  seconds: number[];
  /** CPU seconds per batch over the same call (warm-up included): user + system time of the process that ran it,
   * all its threads. Unlike wall time it does not count waiting for a core on a loaded machine. */
  cpuSeconds: number;
}

interface Cell {
  net: string;
  engine: Engine;
  mode: Mode;
  threads: number;
  measure(reps: number): Promise<Measured>;
  rounds: number[];
  cpuRounds: number[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function timed(run: () => Promise<unknown> | unknown, reps: number): Promise<Measured> {
  const cpuStart = process.cpuUsage();
  await run();
  const seconds: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    await run();
    seconds.push((performance.now() - start) / 1000);
  }
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 / (reps + 1) };
}

/** User + system CPU seconds of a child process so far (Linux /proc; NaN elsewhere). */
function childCpuSeconds(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** Linux USER_HZ (`getconf CLK_TCK`), 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

// ---- PyTorch children --------------------------------------------------------------------------------------

interface TorchChild {
  version: string;
  request(net: string, mode: Mode, reps: number): Promise<Measured>;
  close(): void;
}

async function startTorch(threads: number): Promise<TorchChild | string> {
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'bench-engine-torch.py');
  let child: ChildProcessWithoutNullStreams;
  try {
    // torch.set_num_threads does not reach Debian torch's OpenBLAS pool, whose idle workers spin-wait on the other core:
    // at "1 thread" the child used ≈ 2× its wall time in CPU (same wall time). Pin the BLAS and OpenMP pools too.
    const pinned = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    child = spawn('/usr/bin/python3', [script, '--serve', '--threads', String(threads), '--nets', NETS.join(','), '--batch', String(BATCH)], { env: pinned });
  } catch (e) {
    return `cannot start /usr/bin/python3 (${(e as Error).message})`;
  }
  const lines = createInterface({ input: child.stdout });
  const queue: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const buffered: string[] = [];
  let exited: Error | undefined;
  lines.on('line', (line) => {
    const waiter = queue.shift();
    if (waiter) waiter.resolve(line);
    else buffered.push(line);
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.on('exit', () => {
    exited = new Error(stderr.trim().split('\n').pop() ?? 'python exited');
    for (const waiter of queue.splice(0)) waiter.reject(exited);
  });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const line = buffered.shift();
      if (line !== undefined) return resolve(line);
      if (exited) return reject(exited);
      queue.push({ resolve, reject });
    });
  child.on('error', () => undefined);
  let ready: { ready: boolean; torch: string };
  try {
    ready = JSON.parse(await next());
  } catch (e) {
    child.kill();
    return `torch unavailable: ${(e as Error).message}`;
  }
  return {
    version: ready.torch,
    async request(net, mode, reps) {
      const cpuStart = childCpuSeconds(child.pid);
      child.stdin.write(`${net} ${mode} ${reps}\n`);
      const seconds = (JSON.parse(await next()) as { seconds: number[] }).seconds;
      // The child warms up twice before its timed reps.
      return { seconds, cpuSeconds: (childCpuSeconds(child.pid) - cpuStart) / (reps + 2) };
    },
    close() {
      child.stdin.write('quit\n');
      child.stdin.end();
    },
  };
}

// ---- Rampart cells ----------------------------------------------------------------------------------------

const random = createRandom(42);
const xData = Float32Array.from({ length: BATCH * 784 }, () => random.next());
const labelData = Array.from({ length: BATCH }, (_, i) => i % 10);
const oneHot = new Float32Array(BATCH * 10);
labelData.forEach((l, i) => (oneHot[i * 10 + l] = 1));
const ones = new Float32Array(BATCH).fill(1);

async function rampartCells(net: 'cnn' | 'mlp', releases: (() => Promise<void> | void)[]): Promise<Cell[]> {
  const layers = buildArchitecture(net, [28, 28, 1], 10, 1);
  const model = TfjsModel.fromLayersModel(layers, { id: `bench-${net}` });
  const bytes = exportToOnnx(layers);
  const x = tf.tensor4d(xData, [BATCH, 28, 28, 1]);
  const labels = tf.tensor1d(labelData) as Tensor1D;
  const optimizer = tf.train.momentum(0.01, 0.9);
  releases.push(() => {
    tf.dispose([x, labels]);
    optimizer.dispose();
  });
  const cells: Cell[] = [];
  const cell = (engine: Engine, mode: Mode, threads: number, run: () => Promise<unknown> | unknown) =>
    cells.push({ net, engine, mode, threads, rounds: [], cpuRounds: [], measure: (reps) => timed(run, reps) });

  cell('rampart-wasm', 'forward', 1, () => tf.tidy(() => (model.logitsSync(x) as Tensor2D).dataSync()));
  cell('rampart-wasm', 'inputGradient', 1, () => {
    const r = model.lossAndGradientSync(x, labels);
    r.gradient.dataSync();
    tf.dispose([r.gradient, r.loss, r.logits]);
  });
  cell('rampart-wasm', 'trainStep', 1, () => {
    const cost = optimizer.minimize(() => tf.mean(crossEntropy(layers.apply(x) as Tensor2D, labels)) as tf.Scalar, true);
    cost?.dataSync();
    cost?.dispose();
  });
  const backward = buildBackwardGraph(bytes, { loss: 'cross-entropy' });
  for (const threads of THREADS) {
    const runner = await createOrtRunner(bytes, { inputName: 'input', outputName: 'logits', sampleDims: [28, 28, 1], threads, source: net });
    const session = await createOrtGradientSession(backward, { threads });
    const trainer = await createOrtTrainer(bytes, { optimizer: 'sgd', learningRate: 0.01, momentum: 0.9, threads });
    releases.push(() => runner.release(), () => session.release(), () => trainer.release());
    cell('rampart-ort', 'forward', threads, () => runner.run(xData, BATCH));
    cell('rampart-ort', 'inputGradient', threads, () => session.run(xData, BATCH, oneHot, ones));
    cell('rampart-ort', 'trainStep', threads, () => trainer.step(xData, labelData, BATCH));
  }
  return cells;
}

// ---- PGD memory run ---------------------------------------------------------------------------------------

async function pgdMemory(images: number): Promise<Record<string, number>> {
  const layers = buildArchitecture('cnn', [28, 28, 1], 10, 1);
  const engine = await createOrtGradient(exportToOnnx(layers), { layout: 'plain', source: 'pgd' });
  const tensorsBefore = tf.memory().numTensors;
  let peak = process.memoryUsage().rss;
  const start = performance.now();
  const data = createRandom(7);
  for (let offset = 0; offset < images; offset += BATCH) {
    const n = Math.min(BATCH, images - offset);
    const clean = tf.tensor4d(Float32Array.from({ length: n * 784 }, () => data.next()), [n, 28, 28, 1]);
    const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => (offset + i) % 10)) as Tensor1D;
    let adv: Tensor = clean.clone();
    for (let step = 0; step < 40; step++) {
      const { gradient, loss, logits } = await engine.lossAndGradient(adv, labels);
      const next = tf.tidy(() => {
        const moved = tf.add(adv, tf.mul(tf.sign(gradient), 0.01));
        return tf.clipByValue(tf.minimum(tf.maximum(moved, tf.sub(clean, 0.3)), tf.add(clean, 0.3)), 0, 1);
      });
      tf.dispose([adv, gradient, loss, logits]);
      adv = next;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    tf.dispose([adv, clean, labels]);
  }
  const seconds = (performance.now() - start) / 1000;
  await engine.release();
  layers.dispose();
  return {
    images,
    steps: 40,
    seconds: Math.round(seconds * 10) / 10,
    imagesStepsPerSecond: Math.round((images * 40) / seconds),
    peakRssMB: Math.round(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
  };
}

// ---- main ---------------------------------------------------------------------------------------------------

/** Runs the PGD memory measurement in a fresh process so the benchmark's own heaps do not count. */
async function pgdInChild(images: number): Promise<Record<string, number>> {
  const script = new URL(import.meta.url).pathname;
  const tsx = path.join(path.dirname(script), '..', 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [script, '--pgd-child', String(images)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`PGD memory child failed (exit ${code}): ${line}`);
  return JSON.parse(line) as Record<string, number>;
}

async function main(): Promise<void> {
  await setupBackend();
  if (PGD_CHILD > 0) {
    console.log(JSON.stringify(await pgdMemory(PGD_CHILD)));
    process.exit(0);
  }
  const releases: (() => Promise<void> | void)[] = [];
  const cells: Cell[] = [];
  for (const net of NETS) cells.push(...(await rampartCells(net, releases)));
  const torchNotes: string[] = [];
  let torchVersion: string | null = null;
  for (const threads of THREADS) {
    const child = await startTorch(threads);
    if (typeof child === 'string') {
      torchNotes.push(`torch ${threads} thread(s) skipped: ${child}`);
      continue;
    }
    torchVersion = child.version;
    releases.push(() => child.close());
    for (const net of NETS) {
      for (const mode of MODES) cells.push({ net, engine: 'torch', mode, threads, rounds: [], cpuRounds: [], measure: (reps) => child.request(net, mode, reps) });
    }
  }
  const loadBefore = os.loadavg();
  for (let round = 0; round < ROUNDS; round++) {
    const order = cells.map((_, i) => cells[(i + round * 7) % cells.length]);
    for (const c of order) {
      const measured = await c.measure(REPS);
      c.rounds.push(median(measured.seconds));
      c.cpuRounds.push(measured.cpuSeconds);
      process.stderr.write('.');
    }
    process.stderr.write(` round ${round + 1}/${ROUNDS}\n`);
  }
  const loadAfter = os.loadavg();
  const imgPerSec = (c: Cell) => BATCH / median(c.rounds);
  const cpuMs = (c: Cell) => median(c.cpuRounds) * 1000;
  const torchFor = (c: Cell) => cells.find((t) => t.engine === 'torch' && t.net === c.net && t.mode === c.mode && t.threads === c.threads);
  const results = cells.map((c) => {
    const t = c.engine === 'torch' ? undefined : torchFor(c);
    return {
      net: c.net,
      engine: c.engine,
      mode: c.mode,
      threads: c.threads,
      imgPerSec: Math.round(imgPerSec(c)),
      ratioToTorch: c.engine === 'torch' ? 1 : t ? Math.round((imgPerSec(c) / imgPerSec(t)) * 100) / 100 : null,
      roundMs: c.rounds.map((s) => Math.round(s * 10000) / 10),
      cpuMsPerBatch: Math.round(cpuMs(c) * 10) / 10,
      cpuRatioToTorch: c.engine === 'torch' ? 1 : t && Number.isFinite(cpuMs(t)) ? Math.round((cpuMs(t) / cpuMs(c)) * 100) / 100 : null,
    };
  });
  let pgd: Record<string, number> | undefined;
  for (const release of releases) await release();
  if (PGD > 0) pgd = await pgdInChild(PGD);

  const require = createRequire(import.meta.url);
  const versionOf = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;
  const machine = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    onnxruntimeNode: versionOf('onnxruntime-node'),
    tfjs: versionOf('@tensorflow/tfjs-core'),
    torch: torchVersion,
    batch: BATCH,
    rounds: ROUNDS,
    reps: REPS,
    loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
    loadAverageAfter: loadAfter.map((l) => Math.round(l * 100) / 100),
    notes: [
      'rampart-wasm is single-threaded under Node (tfjs ignores setThreadsCount); its ratio is to torch at 1 thread.',
      ...torchNotes,
    ],
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify({ machine, results, ...(pgd ? { pgdMemory: pgd } : {}) }, null, 2)}\n`);

  const lines = [
    '| net | mode | threads | torch img/s | rampart-wasm img/s (×torch) | rampart-ort img/s (×torch) | CPU ms/batch torch / ort (×torch) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const net of NETS) {
    for (const mode of MODES) {
      for (const threads of THREADS) {
        const find = (engine: Engine, t = threads) => results.find((r) => r.net === net && r.mode === mode && r.engine === engine && r.threads === t);
        const torch = find('torch');
        const wasm = threads === 1 ? find('rampart-wasm') : undefined;
        const ort = find('rampart-ort');
        const show = (r?: { imgPerSec: number; ratioToTorch: number | null }) => (r ? `${r.imgPerSec.toLocaleString('en')}${r.ratioToTorch !== null ? ` (×${r.ratioToTorch})` : ''}` : '–');
        const cpu = torch && ort ? `${torch.cpuMsPerBatch} / ${ort.cpuMsPerBatch} (×${ort.cpuRatioToTorch})` : '–';
        lines.push(`| ${net} | ${mode} | ${threads} | ${torch ? torch.imgPerSec.toLocaleString('en') : 'skipped'} | ${show(wasm)} | ${show(ort)} | ${cpu} |`);
      }
    }
  }
  console.log(lines.join('\n'));
  console.log(`\nload average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; ${torchNotes.join('; ')}`);
  if (pgd) console.log(`PGD-40 memory run: ${JSON.stringify(pgd)}`);
  console.log(`wrote ${OUT}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
