/**
 * Profiles the reference CNN's ORT training step (batch 256, 1 thread): ONNX Runtime's per-node kernel times
 * (session option enableProfiling) summed per node and per op type, and the wall/CPU split between
 * `session.run` and the host-side work of `OrtTrainer.step` (optimizer update, tensor creation).
 *
 *   npx tsx scripts/profile-ort-train.ts [--runs 20] [--net cnn] [--input-gradient] [--options '{"fuseConvPool":false}']
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setupBackend } from '../src/engine/backend.js';
import { buildArchitecture } from '../src/harden/architectures.js';
import { exportToOnnx } from '../src/engine/export-onnx.js';
import { buildBackwardGraph, type BackwardGraphOptions } from '../src/engine/onnx-grad/generate.js';
import { createOrtTrainer } from '../src/engine/ort-trainer.js';
import { createRandom } from '../src/engine/random.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const RUNS = Number(option('runs', '20'));
const NET = option('net', 'cnn') as 'cnn' | 'mlp';
const INPUT_GRADIENT = argv.includes('--input-gradient');
const BATCH = 256;

async function main() {
  await setupBackend();
  const ort = await import('onnxruntime-node');
  const layers = buildArchitecture(NET, [28, 28, 1], 10, 1);
  const bytes = exportToOnnx(layers);
  const extra = JSON.parse(option('options', '{}')) as Partial<BackwardGraphOptions>;
  const graph = buildBackwardGraph(bytes, { ...(INPUT_GRADIENT ? { loss: 'cross-entropy' } : { loss: 'cross-entropy', inputGradient: false, trainable: 'all' }), ...extra });
  fs.writeFileSync('/tmp/profile-graph.onnx', graph.bytes);
  const random = createRandom(42);
  const x = Float32Array.from({ length: BATCH * 784 }, () => random.next());
  const labels = Array.from({ length: BATCH }, (_, i) => i % 10);
  const oneHot = new Float32Array(BATCH * 10);
  labels.forEach((l, i) => (oneHot[i * 10 + l] = 1));
  const prefix = path.join(os.tmpdir(), `ort-profile-${process.pid}`);
  const session = await ort.InferenceSession.create(graph.bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: graph.parameters.length > 0 ? 'extended' : 'all',
    enableProfiling: true,
    profileFilePrefix: prefix,
    optimizedModelFilePath: '/tmp/profile-graph.optimized.onnx',
  });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    [graph.inputName]: new ort.Tensor('float32', x, [BATCH, ...graph.sampleDims]),
    rampart_onehot: new ort.Tensor('float32', oneHot, [BATCH, 10]),
    rampart_weight: new ort.Tensor('float32', new Float32Array(BATCH).fill(1 / BATCH), [BATCH]),
  };
  for (const p of graph.parameters) feeds[p.name] = new ort.Tensor('float32', p.initial, p.dims);
  for (let r = 0; r < 3; r++) await session.run(feeds);
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < RUNS; r++) await session.run(feeds);
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - start) / RUNS;
  const file = session.endProfiling() as unknown as string | undefined;
  await session.release();
  const profileFile = file && fs.existsSync(file) ? file : fs.readdirSync(os.tmpdir()).map((f) => path.join(os.tmpdir(), f)).find((f) => f.startsWith(prefix))!;
  const events = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const kernels = events.filter((ev) => ev.cat === 'Node' && ev.name.endsWith('_kernel_time'));
  const runs = events.filter((ev) => ev.cat === 'Session' && ev.name === 'model_run').length;
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const ev of kernels) {
    const op = ev.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + ev.dur);
    const node = `${op} ${ev.name.replace(/_kernel_time$/, '')}`;
    byNode.set(node, (byNode.get(node) ?? 0) + ev.dur);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const per = (us: number) => (us / runs / 1000).toFixed(2);
  console.log(`${NET} ${INPUT_GRADIENT ? 'input gradient' : 'train step'}: ${runs} profiled runs; session.run wall ${wall.toFixed(1)} ms, CPU ${((cpu.user + cpu.system) / 1000 / RUNS).toFixed(1)} ms; kernel sum ${per(total)} ms/run; load ${os.loadavg()[0].toFixed(2)}`);
  console.log('\nby op type (ms/run, share):');
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(22)} ${per(us).padStart(7)}  ${((100 * us) / total).toFixed(1)}%`);
  console.log('\nby node (top 40):');
  for (const [node, us] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${per(us).padStart(7)}  ${node}`);
  fs.unlinkSync(profileFile);

  if (!INPUT_GRADIENT) {
    // Host side: OrtTrainer.step vs a bare session.run on the same graph.
    const trainer = await createOrtTrainer(bytes, { optimizer: 'sgd', learningRate: 0.01, momentum: 0.9 });
    const plain = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended' });
    for (let r = 0; r < 3; r++) {
      await trainer.step(x, labels, BATCH);
      await plain.run(feeds);
    }
    const stepCpu: number[] = [];
    const runCpu: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let c = process.cpuUsage();
      await trainer.step(x, labels, BATCH);
      c = process.cpuUsage(c);
      stepCpu.push((c.user + c.system) / 1000);
      c = process.cpuUsage();
      await plain.run(feeds);
      c = process.cpuUsage(c);
      runCpu.push((c.user + c.system) / 1000);
    }
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    console.log(`\ntrainer.step CPU median ${med(stepCpu).toFixed(1)} ms vs bare session.run ${med(runCpu).toFixed(1)} ms`);
    await trainer.release();
    await plain.release();
  }
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
