import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { createRandom } from '../../engine/random.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import { encodeOnnxModel } from '../../engine/onnx/build.js';
import { buildIbpTrainingGraph, ibpBoxWidth, ibpGraphNames } from '../../certify/ibp-onnx-graph.js';
import { certifiedMarginBounds } from '../../certify/training-bounds.js';
import { createOrtEngine } from '../engines/ort-engine.js';
import { createTfjsEngine } from '../engines/tfjs-engine.js';
import { certifiedObjective } from './objective.js';
import { createOrtIbpObjective } from './ort-ibp.js';
import { verifiedFromMargins } from '../../certify/bounds/margins.js';
import { smallCnn as smallCnnWith, smallMlp as smallMlpWith } from '../../../test/helpers/small-layers-models.js';

const smallCnn = (seed: number) => smallCnnWith(seed, { secondConv: true, finalBias: true });
const smallMlp = (seed: number) => smallMlpWith(seed, { hidden: [8, 7], finalBias: true });

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});



function samples(size: number, n: number, seed: number): Float32Array {
  const r = createRandom(seed);
  return Float32Array.from({ length: n * size }, () => r.next());
}

async function runIbpGraph(bytes: Uint8Array, x: Float32Array, labels: Int32Array, size: number, k: number, epsilon: number, beta = 0): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  const n = labels.length;
  const width = ibpBoxWidth(size, k);
  const box = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < size; j++) {
      box[i * width + j] = Math.max(0, x[i * size + j] - epsilon);
      box[i * width + size + j] = Math.min(1, x[i * size + j] + epsilon);
    }
    box[i * width + 2 * size + labels[i]] = 1;
    box[i * width + 2 * size + k] = beta;
  }
  const out = await session.run({ [ibpGraphNames.box]: new ort.Tensor('float32', box, [n, width]) });
  await session.release();
  return out[ibpGraphNames.worstLogits].data as Float32Array;
}

describe('IBP as an ONNX graph (certified training on ONNX Runtime)', () => {
  for (const [name, build, shape, k] of [['cnn', smallCnn, [8, 8, 1], 4], ['mlp', smallMlp, [4, 4, 1], 3]] as const) {
    it(`${name}: the graph's worst-case logits are minus the tfjs IBP margin lower bounds (elided last layer)`, async () => {
      const model = build(5);
      const size = shape.reduce((a, b) => a * b, 1);
      const n = 6;
      const x = samples(size, n, 3);
      const labels = Int32Array.from({ length: n }, (_, i) => i % k);
      const ibp = buildIbpTrainingGraph(exportToOnnx(model));
      expect(ibp.elided).toBe(true);
      expect(ibp.numClasses).toBe(k);
      for (const epsilon of [0.01, 0.1, 0.3]) {
        const worst = await runIbpGraph(ibp.bytes, x, labels, size, k, epsilon);
        const reference = tf.tidy(() => certifiedMarginBounds(model, tf.tensor(x, [n, ...shape]), labels, { method: 'ibp', epsilon, safety: 0 }).dataSync() as Float32Array);
        for (let i = 0; i < n * k; i++) expect(worst[i]).toBeCloseTo(-reference[i], 4);
        for (let i = 0; i < n; i++) expect(Math.abs(worst[i * k + labels[i]])).toBe(0);
      }
      // Without elision the bound is looser (every worst-case logit at least the elided one).
      const plain = buildIbpTrainingGraph(exportToOnnx(model), { elide: false });
      expect(plain.elided).toBe(false);
      const loose = await runIbpGraph(plain.bytes, x, labels, size, k, 0.1);
      const tight = await runIbpGraph(ibp.bytes, x, labels, size, k, 0.1);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          if (j === labels[i]) continue;
          expect(loose[i * k + j] - loose[i * k + labels[i]]).toBeGreaterThanOrEqual(tight[i * k + j] - 1e-5);
        }
      }
    });
  }

  it('CROWN-IBP graph (MLP): −(β·CROWN-IBP + (1−β)·IBP) equals the tfjs CROWN-IBP training bound for β 1, 0.4, 0', async () => {
    const model = smallMlp(13);
    const n = 6;
    const x = samples(16, n, 8);
    const labels = Int32Array.from({ length: n }, (_, i) => (i + 1) % 3);
    const graph = buildIbpTrainingGraph(exportToOnnx(model), { crownIbp: true });
    expect(graph.crownIbp).toBe(true);
    for (const beta of [1, 0.4, 0]) {
      const worst = await runIbpGraph(graph.bytes, x, labels, 16, 3, 0.08, beta);
      const reference = tf.tidy(() => certifiedMarginBounds(model, tf.tensor(x, [n, 4, 4, 1]), labels, { method: 'crown-ibp', beta, epsilon: 0.08, safety: 0 }).dataSync() as Float32Array);
      for (let i = 0; i < n * 3; i++) expect(worst[i], `β ${beta} [${i}]`).toBeCloseTo(-reference[i], 4);
    }
    // CROWN-IBP is at least as tight as IBP here (β = 1 vs β = 0) on some margin, and never an unsound mix.
    const crown = await runIbpGraph(graph.bytes, x, labels, 16, 3, 0.08, 1);
    const ibp = await runIbpGraph(graph.bytes, x, labels, 16, 3, 0.08, 0);
    expect(crown.some((v, i) => v < ibp[i] - 1e-4)).toBe(true);
    // A CNN's chain does not reach the input through Gemm/ReLU: refused (the loop then trains CROWN-IBP on tfjs).
    expect(() => buildIbpTrainingGraph(exportToOnnx(smallCnn(1)), { crownIbp: true })).toThrow(/CROWN-IBP.*--engine tfjs/);
  });

  it('the objective and its weight gradients equal the tfjs objective (MLP, ε 0.1: IBP at κ 0.3 and 0, CROWN-IBP at β 0.75)', async () => {
    const model = smallMlp(9);
    const bytes = exportToOnnx(model);
    const ortEngine = await createOrtEngine({ onnxBytes: bytes });
    const tfjsEngine = createTfjsEngine(model);
    const objective = await createOrtIbpObjective(ortEngine, bytes);
    const n = 8;
    const x = samples(16, n, 21);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 2) % 3);
    const crownObjective = await createOrtIbpObjective(ortEngine, bytes, { crownIbp: true });
    for (const [kappa, progress] of [[0.3, 1], [0, 1], [0.5, 0.25]] as const) {
      // progress < 1: CROWN-IBP with β = 1 − progress (the tfjs objective's schedule).
      const crown = progress < 1;
      const ours = await (crown ? crownObjective : objective).compute(x, labels, n, { epsilon: 0.1, kappa, bounds: [0, 1], beta: crown ? 1 - progress : 0 });
      const reference = certifiedObjective(tfjsEngine, x, labels, n, { method: crown ? 'crown-ibp' : 'ibp', epsilon: 0.1, kappa, progress, bounds: [0, 1] });
      // The tfjs objective widens every bound by its float32 safety margin (1e-5 relative); the ORT graph does not.
      expect(Math.abs(ours.value - reference.value) / reference.value).toBeLessThan(1e-3);
      for (const [name, g] of reference.gradients) {
        const mine = ours.gradients.get(name);
        expect(mine, name).toBeDefined();
        const scale = Math.max(...g.map(Math.abs), 1e-6);
        for (let i = 0; i < g.length; i++) expect(Math.abs(mine![i] - g[i]) / scale, `${name}[${i}]`).toBeLessThan(1e-3);
      }
      for (let i = 0; i < n * 3; i++) expect(ours.logits[i]).toBeCloseTo(reference.logits[i], 4);
    }
    // marginLowerBounds runs the forward IBP graph on the engine's current weights: the tfjs IBP margins, which
    // verifiedFromMargins reads (verified when every off-label margin bound is positive).
    const lower = await objective.marginLowerBounds(x, labels, n, { epsilon: 0.05, bounds: [0, 1] });
    const reference = tf.tidy(() => certifiedMarginBounds(model, tf.tensor(x, [n, 4, 4, 1]), labels, { method: 'ibp', epsilon: 0.05, safety: 0 }).dataSync() as Float32Array);
    for (let i = 0; i < n * 3; i++) expect(lower[i]).toBeCloseTo(reference[i], 4);
    let expected = 0;
    for (let i = 0; i < n; i++) if ([0, 1, 2].every((j) => j === labels[i] || reference[i * 3 + j] > 0)) expected++;
    expect(verifiedFromMargins(lower, labels, 3).reduce((a, b) => a + b, 0) / n).toBeCloseTo(expected / n, 10);
    await objective.release();
    await crownObjective.release();
    await ortEngine.release();
  });

  it('CNN: the IBP objective gradient matches central finite differences of its value (along the gradient)', async () => {
    const model = smallCnn(17);
    const bytes = exportToOnnx(model);
    const ortEngine = await createOrtEngine({ onnxBytes: bytes });
    const objective = await createOrtIbpObjective(ortEngine, bytes);
    const n = 5;
    const x = samples(64, n, 4);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const step = { epsilon: 0.05, kappa: 0.25, bounds: [0, 1] as const };
    const { gradients } = await objective.compute(x, labels, n, step);
    // Along the unit gradient direction the directional derivative is ‖g‖ (large), so ReLU/max-pool kinks crossed
    // within ±h barely move the finite difference; a wrongly scaled or signed gradient still fails.
    let norm = 0;
    for (const g of gradients.values()) g.forEach((v) => (norm += v * v));
    norm = Math.sqrt(norm);
    const direction = new Map([...gradients].map(([name, g]) => [name, Float32Array.from(g, (v) => v / norm)]));
    const analytic = norm;
    const original = new Map([...ortEngine.weights].map(([name, w]) => [name, Float32Array.from(w)]));
    const valueAt = async (t: number) => {
      for (const [name, w] of ortEngine.weights) w.set(original.get(name)!.map((v, i) => v + t * direction.get(name)![i]));
      return (await objective.compute(x, labels, n, step)).value;
    };
    const h = 1e-3;
    const numeric = ((await valueAt(h)) - (await valueAt(-h))) / (2 * h);
    await valueAt(0);
    expect(Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric))).toBeLessThan(2e-2);
    await objective.release();
    await ortEngine.release();
  });

  it('normalisation constants (Sub mean, Div std) and a bias-free MatMul head: equal to a hand-written IBP', async () => {
    // input [N, 3] → (x − mean) / std → MatMul W1 + b1 → ReLU → MatMul W2 (no elision: not a Gemm) → logits [N, 2]
    const mean = [0.5, 0.2, 0.1];
    const std = [0.5, 0.25, -2];
    const w1 = [1, -2, 0.5, 3, 0.25, -1]; // [3, 2]
    const b1 = [0.1, -0.2];
    const w2 = [2, -1, -0.5, 1.5]; // [2, 2]
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['N', 3] }],
      outputs: [{ name: 'logits', dims: ['N', 2] }],
      initializers: [
        { name: 'mean', dims: [3], data: mean },
        { name: 'std', dims: [3], data: std },
        { name: 'w1', dims: [3, 2], data: w1 },
        { name: 'b1', dims: [2], data: b1 },
        { name: 'w2', dims: [2, 2], data: w2 },
      ],
      nodes: [
        { opType: 'Sub', inputs: ['x', 'mean'], outputs: ['centred'] },
        { opType: 'Div', inputs: ['centred', 'std'], outputs: ['scaled'] },
        { opType: 'MatMul', inputs: ['scaled', 'w1'], outputs: ['h'] },
        { opType: 'Add', inputs: ['h', 'b1'], outputs: ['hb'] },
        { opType: 'Relu', inputs: ['hb'], outputs: ['a'] },
        { opType: 'MatMul', inputs: ['a', 'w2'], outputs: ['logits'] },
      ],
    });
    const ibp = buildIbpTrainingGraph(bytes);
    expect(ibp.elided).toBe(false);
    expect(ibp.weights.sort()).toEqual(['b1', 'mean', 'std', 'w1', 'w2']);
    const x = Float32Array.from([0.3, 0.9, 0.5, 0.05, 0.6, 1]);
    const labels = Int32Array.from([0, 1]);
    const epsilon = 0.1;
    const worst = await runIbpGraph(ibp.bytes, x, labels, 3, 2, epsilon);
    for (let n = 0; n < 2; n++) {
      // hand IBP: per-coordinate interval through the normalisation, then interval arithmetic per layer
      const lo: number[] = [];
      const hi: number[] = [];
      for (let i = 0; i < 3; i++) {
        const a = (Math.max(0, x[n * 3 + i] - epsilon) - mean[i]) / std[i];
        const b = (Math.min(1, x[n * 3 + i] + epsilon) - mean[i]) / std[i];
        lo.push(Math.min(a, b));
        hi.push(Math.max(a, b));
      }
      const layer = (l: number[], u: number[], w: number[], outs: number, bias: number[]) => {
        const ol: number[] = [];
        const ou: number[] = [];
        for (let j = 0; j < outs; j++) {
          let a = bias[j];
          let b = bias[j];
          for (let i = 0; i < l.length; i++) {
            const wij = w[i * outs + j];
            a += wij >= 0 ? wij * l[i] : wij * u[i];
            b += wij >= 0 ? wij * u[i] : wij * l[i];
          }
          ol.push(a);
          ou.push(b);
        }
        return [ol, ou];
      };
      const [hl, hu] = layer(lo, hi, w1, 2, b1);
      const [zl, zu] = layer(hl.map((v) => Math.max(0, v)), hu.map((v) => Math.max(0, v)), w2, 2, [0, 0]);
      for (let j = 0; j < 2; j++) expect(worst[n * 2 + j]).toBeCloseTo(j === labels[n] ? zl[j] : zu[j], 5);
    }
    // Trained by an engine that trains only w1, b1, w2: the normalisation stays constant.
    const ortEngine = await createOrtEngine({ onnxBytes: bytes });
    const objective = await createOrtIbpObjective(ortEngine, bytes);
    const step = await objective.compute(x, labels, 2, { epsilon, kappa: 0, bounds: [0, 1] });
    expect([...step.gradients.keys()].sort()).toEqual([...ortEngine.weights.keys()].sort());
    expect(step.value).toBeGreaterThan(0);
    await objective.release();
    await ortEngine.release();
  });

  it('refuses a graph with an op it cannot bound, naming the op and the fallback', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [4], units: 5, activation: 'softmax' }));
    m.add(tfl.layers.dense({ units: 3 }));
    expect(() => buildIbpTrainingGraph(exportToOnnx(m))).toThrow(/Softmax.*--engine tfjs/);
  });
});
