/**
 * Training throughput of `rampart harden` on the reference CNN (images/s of standard, FGSM-RS and PGD-7 training,
 * batch 128, MNIST digits, ε = 0.3) on both engines (ONNX Runtime backward graphs, tfjs-wasm autodiff), and the ratio
 * to PyTorch running the same steps when /usr/bin/python3 has torch (scripts/bench-training-torch.py), in the same run.
 * Also IBP certified training (κ 0.5, ε 0.1) of the MLP 784-1024-1024-10 (`ibp-mlp`): the ORT engine's IBP graph vs
 * tfjs bounds vs the same objective in PyTorch.
 * Usage: npx tsx scripts/bench-training.ts [batches=4] [rounds=2]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setupBackend } from '../src/engine/backend.js';
import { openDataset, loadAll } from '../src/data/index.js';
import { buildArchitecture } from '../src/harden/architectures.js';
import { hardenClassifier } from '../src/harden/loop.js';

const batches = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 2);
const batch = 128;

await setupBackend();
const all = await loadAll(await openDataset('mnist:train', { limit: batch * batches + 10 }));
const train = { ...all, count: batch * batches, x: all.x.subarray(0, batch * batches * 784), y: all.y.subarray(0, batch * batches) };
const validation = { ...all, count: 10, x: all.x.subarray(batch * batches * 784), y: all.y.subarray(batch * batches) };

const modes = {
  standard: { method: 'none' as const },
  'fgsm-rs': { method: 'fgsm-rs' as const, epsilon: 0.3 },
  'pgd-7': { method: 'pgd' as const, epsilon: 0.3, steps: 7 },
  'ibp-mlp': { method: 'none' as const },
};

async function measure(engine: 'ort' | 'tfjs', mode: keyof typeof modes): Promise<number> {
  const ibp = mode === 'ibp-mlp';
  const model = ibp ? buildArchitecture('mlp', [28, 28, 1], 10, 1, { hidden: [1024, 1024] }) : buildArchitecture('cnn', [28, 28, 1], 10, 1);
  const result = await hardenClassifier({ layersModel: model }, train, validation, {
    epochs: 1,
    batchSize: batch,
    engine,
    adversarial: modes[mode],
    ...(ibp ? { certified: { method: 'ibp' as const, epsilon: 0.1, ramp: { from: 0.1, start: 0, end: 1 }, kappaStart: 0.5, kappaEnd: 0.5 } } : {}),
    evaluation: { robustSamples: 0 },
    select: 'last',
  });
  await result.engine.release();
  model.dispose();
  return result.history[0].imagesPerSecond;
}

function torchPeer(): Record<string, number> | undefined {
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'bench-training-torch.py');
  // one thread for torch, its OpenBLAS/OpenMP pools included (set_num_threads alone leaves OpenBLAS workers spinning)
  const run = spawnSync('/usr/bin/python3', [script, String(batches), String(batch), '1'], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  if (run.status !== 0) return undefined;
  return (JSON.parse(run.stdout.trim().split('\n').pop()!) as { imagesPerSecond: Record<string, number> }).imagesPerSecond;
}

const rows: Record<string, { ort: number[]; tfjs: number[]; torch: number[] }> = {};
for (let r = 0; r < rounds; r++) {
  const torch = torchPeer();
  for (const mode of Object.keys(modes) as (keyof typeof modes)[]) {
    rows[mode] ??= { ort: [], tfjs: [], torch: [] };
    rows[mode].ort.push(await measure('ort', mode));
    rows[mode].tfjs.push(await measure('tfjs', mode));
    if (torch) rows[mode].torch.push(torch[mode]);
  }
}
const median = (v: number[]) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : NaN);
console.log(`reference CNN (ibp-mlp: MLP 784-1024-1024-10), batch ${batch}, ${batches} batches × ${rounds} rounds (medians, images/s; 1 thread each)`);
console.log('mode       | ORT engine | tfjs engine | PyTorch 1 thread | ORT / PyTorch | tfjs / PyTorch');
for (const [mode, r] of Object.entries(rows)) {
  const [o, t, p] = [median(r.ort), median(r.tfjs), median(r.torch)];
  console.log(`${mode.padEnd(10)} | ${o.toFixed(0).padStart(10)} | ${t.toFixed(0).padStart(11)} | ${Number.isNaN(p) ? '       n/a' : p.toFixed(0).padStart(16)} | ${Number.isNaN(p) ? 'n/a' : (o / p).toFixed(2).padStart(13)} | ${Number.isNaN(p) ? 'n/a' : (t / p).toFixed(2)}`);
}
process.exit(0);
