/**
 * Ensemble folders through `loadModel`: soft/hard/stacking round-trips, the single-graph ONNX export of all three
 * (ONNX Runtime on it equals `ensemble.logits` within 1e-5, hard voting's first-maximum rule on constructed ties;
 * loading it gives ORT backward-graph gradients equal to the tfjs ensemble's for soft voting and stacking, and a
 * forward-only black box for hard voting), and bad folders (missing member, shape or class mismatch, bad weights)
 * naming the member.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../../engine/tf.js';
import { setupBackend } from '../../engine/backend.js';
import { createRandom } from '../../engine/random.js';
import { TfjsModel } from '../../engine/tfjs-model.js';
import { isDifferentiable, type DifferentiableModel } from '../../engine/model.js';
import { loadModel, resolveModelSpec, builtinModelsDir } from '../../engine/load.js';
import { StackedEnsemble, VotingEnsemble, isEnsemble } from '../../engine/ensemble.js';
import { combineEnsembleOnnx, combineSoftVotingOnnx } from '../../engine/ensemble-onnx.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import { isRampartError } from '../../errors.js';
import { folderSaveHandler } from '../../engine/tfjs-io.js';
import { saveEnsemble } from './export.js';
import { disagreementVersusErrors } from './run.js';
import fc from 'fast-check';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';

const F = 6;
const K = 3;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ens-load-'));

function member(seed: number, features = F, classes = K): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [features], units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }), biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }) }));
  m.add(tfl.layers.dense({ units: classes, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

function inputs(n: number, seed: number, size = F): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: n * size }, () => random.next());
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isRampartError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a RampartError');
}

beforeAll(async () => {
  await setupBackend();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loadModel on ensemble folders', () => {
  let layers: tfl.Sequential[];
  beforeAll(() => {
    layers = [member(1), member(5), member(9)];
  });
  const weights = [0.5, 0.3, 0.2];
  const soft = path.join(root, 'soft');

  it('a soft-voting folder loads as the same VotingEnsemble, and model.onnx is the whole ensemble in one graph', async () => {
    const ensemble = new VotingEnsemble(layers.map((l, i) => TfjsModel.fromLayersModel(l, { id: `m${i}` })), { voting: 'soft', weights });
    const saved = await saveEnsemble(soft, ensemble, layers);
    expect(saved.onnx.file).toBe(path.join(soft, 'model.onnx'));
    const resolved = resolveModelSpec(soft);
    expect(resolved.kind).toBe('ensemble');
    expect(resolved.files.filter((f) => f.endsWith('weights.bin')).length).toBe(3);
    const loaded = await loadModel(soft);
    expect(isEnsemble(loaded) && loaded.voting).toBe('soft');
    expect((loaded as VotingEnsemble).weights.map((w) => +w.toFixed(6))).toEqual(weights);
    expect(isDifferentiable(loaded)).toBe(true);
    const n = 20;
    const xs = inputs(n, 4);
    const x = tf.tensor2d(xs, [n, F]);
    const expected = (await ensemble.logits(x)).dataSync();
    const got = (await loaded.logits(x)).dataSync();
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
    // ONNX Runtime on the single graph
    const session = await ort.InferenceSession.create(path.join(soft, 'model.onnx'));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, [n, F]) });
    const onnxLogits = out[session.outputNames[0]].data as Float32Array;
    expect(onnxLogits.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < onnxLogits.length; i++) worst = Math.max(worst, Math.abs(onnxLogits[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    await session.release();
    // rows are centred (mean 0), so they do not read as log-probabilities
    for (let r = 0; r < n; r++) expect(Math.abs(onnxLogits[r * K] + onnxLogits[r * K + 1] + onnxLogits[r * K + 2])).toBeLessThan(1e-4);
    // softmax of the one-graph logits is the weighted mean of member probabilities
    const pm = layers.map((l, i) => tf.mul(tf.softmax(l.predict(x) as tf.Tensor2D), weights[i])).reduce((a, b) => tf.add(a, b)).dataSync();
    const po = tf.softmax(tf.tensor2d(onnxLogits, [n, K])).dataSync();
    for (let i = 0; i < po.length; i++) expect(po[i]).toBeCloseTo(pm[i], 5);
    loaded.dispose();
    tf.dispose(x);
  });

  it("loadModel('…/model.onnx') is white-box: its ORT backward-graph gradient equals the tfjs ensemble's", async () => {
    const onnx = await loadModel(path.join(soft, 'model.onnx'));
    const tfjs = await loadModel(soft, { gradients: 'tfjs' });
    expect(isDifferentiable(onnx)).toBe(true);
    const n = 8;
    const x = tf.tensor2d(inputs(n, 7), [n, F]);
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const a = await (onnx as DifferentiableModel).lossAndGradient(x, labels, 'cross-entropy');
    const b = await (tfjs as DifferentiableModel).lossAndGradient(x, labels, 'cross-entropy');
    const ga = a.gradient.dataSync();
    const gb = b.gradient.dataSync();
    let scale = 0;
    for (let i = 0; i < gb.length; i++) scale = Math.max(scale, Math.abs(gb[i]));
    expect(scale).toBeGreaterThan(1e-3);
    for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-4 * Math.max(1, scale));
    const la = a.loss.dataSync();
    const lb = b.loss.dataSync();
    for (let i = 0; i < la.length; i++) expect(la[i]).toBeCloseTo(lb[i], 4);
    tf.dispose([x, labels, a.loss, a.gradient, a.logits, b.loss, b.gradient, b.logits]);
    onnx.dispose();
    tfjs.dispose();
  });

  it('hard voting loads as hard (no gradient); stacking keeps its meta-learner; both write their single graph', async () => {
    const hardDir = path.join(root, 'hard');
    const hard = new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), { voting: 'hard', weights: [2, 1, 1] });
    const saved = await saveEnsemble(hardDir, hard, layers);
    expect(saved.onnx.file).toBe(path.join(hardDir, 'model.onnx'));
    expect(saved.manifest.onnx).toBe('model.onnx');
    expect(JSON.parse(fs.readFileSync(path.join(hardDir, 'ensemble.json'), 'utf8')).onnx).toBe('model.onnx');
    const loadedHard = await loadModel(hardDir);
    expect((loadedHard as VotingEnsemble).voting).toBe('hard');
    expect(isDifferentiable(loadedHard)).toBe(false);
    const x = tf.tensor2d(inputs(10, 8), [10, F]);
    expect([...(await loadedHard.logits(x)).dataSync()]).toEqual([...(await hard.logits(x)).dataSync()]);

    const stackDir = path.join(root, 'stack');
    const random = createRandom(3);
    const metaW = Float32Array.from({ length: 3 * K * K }, () => random.normal());
    const metaB = Float32Array.from({ length: K }, () => random.normal());
    const stacked = new StackedEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), metaW, metaB);
    const savedStack = await saveEnsemble(stackDir, stacked, layers);
    expect(savedStack.onnx.file).toBe(path.join(stackDir, 'model.onnx'));
    expect(savedStack.onnx.maxAbsLogitDifference).toBeLessThan(1e-5);
    expect((await saveEnsemble(path.join(root, 'stack-no-onnx'), stacked, layers, { onnx: false })).onnx).toEqual({ skipped: 'not requested' });
    const loadedStack = await loadModel(stackDir);
    expect(loadedStack).toBeInstanceOf(StackedEnsemble);
    const s1 = (await stacked.logits(x)).dataSync();
    const s2 = (await loadedStack.logits(x)).dataSync();
    for (let i = 0; i < s1.length; i++) expect(s2[i]).toBeCloseTo(s1[i], 5);
    const d = await (loadedStack as StackedEnsemble).disagreement(x);
    expect(d.every((v) => v >= 0 && v <= 1)).toBe(true);
    loadedHard.dispose();
    loadedStack.dispose();
    tf.dispose(x);
  });

  it('combines image members (the built-in MNIST CNN and MLP ONNX graphs) into one graph equal to the ensemble', async () => {
    const cnnOnnx = fs.readFileSync(path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx'));
    const mlpOnnx = fs.readFileSync(path.join(builtinModelsDir(), 'mnist-mlp', 'model.onnx'));
    const bytes = combineSoftVotingOnnx([{ name: 'cnn', bytes: cnnOnnx }, { name: 'mlp', bytes: mlpOnnx }], [0.7, 0.3]);
    const ensemble = new VotingEnsemble([await loadModel('builtin:mnist-cnn'), await loadModel('builtin:mnist-mlp')], { weights: [0.7, 0.3] });
    const n = 6;
    const xs = inputs(n, 11, 784);
    const expected = (await ensemble.logits(tf.tensor4d(xs, [n, 28, 28, 1]))).dataSync();
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, [n, 28, 28, 1]) });
    const got = out[session.outputNames[0]].data as Float32Array;
    let worst = 0;
    // relative: the CNN's log-probabilities reach −40 (float32 spacing there is 4e-6), and tfjs-wasm and ORT convolve differently
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(got.length).toBe(n * 10);
    expect(worst).toBeLessThan(1e-5);
    await session.release();
    ensemble.dispose();
  });
});

/** A member whose logits are `bias` for every input (zero kernel): a constant vote, ties included. */
function constant(bias: number[]): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [F], units: K }));
  m.layers[0].setWeights([tf.zeros([F, K]), tf.tensor1d(bias)]);
  return m;
}

async function runOrt(model: string | Uint8Array, xs: Float32Array, n: number): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const out = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, [n, F]) }))[session.outputNames[0]].data as Float32Array;
  await session.release();
  return out;
}

const argmaxRows = (v: ArrayLike<number>, k = K): number[] =>
  Array.from({ length: v.length / k }, (_, r) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (v[r * k + c] > v[r * k + best]) best = c;
    return best;
  });

const centredLog = (votes: number[]): number[] => {
  const logs = votes.map((v) => Math.log(v + 1e-6));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return logs.map((l) => l - mean);
};

describe('hard voting and stacking as one ONNX graph', () => {
  const onnxOf = (layers: tfl.Sequential[]) => layers.map((l, i) => ({ name: `m${i}`, bytes: exportToOnnx(l) }));

  it('hard voting equals VotingEnsemble (argmax identical, values within 1e-5); first maximum on member ties', async () => {
    const layers = [constant([0.5, 0.5, 0]), member(1), member(5)];
    const weights = [2, 1, 1];
    const bytes = combineEnsembleOnnx(onnxOf(layers), { kind: 'hard', weights });
    const ensemble = new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), { voting: 'hard', weights });
    const n = 40;
    const xs = inputs(n, 21);
    const expected = (await ensemble.logits(tf.tensor2d(xs, [n, F]))).dataSync();
    const got = await runOrt(bytes, xs, n);
    expect(got.length).toBe(n * K);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(argmaxRows(got)).toEqual(argmaxRows(expected));
    // the tied member (logits 0.5, 0.5, 0) votes class 0 with weight 1/2: class 0 never has less than half the vote
    const share = tf.softmax(tf.tensor2d(got, [n, K])).dataSync();
    for (let r = 0; r < n; r++) expect(share[r * K]).toBeGreaterThan(0.49);
    // hand-computed: the tied member alone votes [1, 0, 0] (a last-maximum ArgMax would give [0, 1, 0])
    const alone = await runOrt(combineEnsembleOnnx(onnxOf([layers[0]]), { kind: 'hard', weights: [1] }), xs.subarray(0, F), 1);
    centredLog([1, 0, 0]).forEach((v, c) => expect(alone[c]).toBeCloseTo(v, 5));
    ensemble.dispose();
  });

  it('hard voting: a tied vote gives equal logits and the first class, as the in-process ensemble', async () => {
    const layers = [constant([0, 0, 1]), constant([1, 0, 0])];
    const bytes = combineEnsembleOnnx(onnxOf(layers), { kind: 'hard', weights: [1, 1] });
    const xs = inputs(3, 5);
    const got = await runOrt(bytes, xs, 3);
    const ensemble = new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), { voting: 'hard' });
    const expected = (await ensemble.logits(tf.tensor2d(xs, [3, F]))).dataSync();
    const known = centredLog([0.5, 0, 0.5]);
    for (let r = 0; r < 3; r++) {
      known.forEach((v, c) => expect(got[r * K + c]).toBeCloseTo(v, 5));
      expect(got[r * K]).toBe(got[r * K + 2]);
    }
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-5);
    expect(argmaxRows(got)).toEqual([0, 0, 0]);
    expect(argmaxRows(expected)).toEqual([0, 0, 0]);
    ensemble.dispose();
  });

  it('property: hard voting over constant members with frequent ties equals the in-process ensemble', async () => {
    const x = inputs(1, 3);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: K, maxLength: K }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 3 }),
        async (rows) => {
          const layers = rows.map(([bias]) => constant(bias));
          const weights = rows.map(([, w]) => w);
          const got = await runOrt(combineEnsembleOnnx(onnxOf(layers), { kind: 'hard', weights }), x, 1);
          // by hand: each member votes its first maximal class
          const votes = new Array(K).fill(0);
          const total = weights.reduce((a, b) => a + b, 0);
          rows.forEach(([bias, w]) => (votes[bias.indexOf(Math.max(...bias))] += w / total));
          centredLog(votes).forEach((v, c) => expect(got[c]).toBeCloseTo(v, 5));
          const ensemble = new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), { voting: 'hard', weights });
          const expected = (await ensemble.logits(tf.tensor2d(x, [1, F]))).dataSync();
          for (let c = 0; c < K; c++) expect(Math.abs(got[c] - expected[c])).toBeLessThan(1e-5);
          expect(argmaxRows(got)).toEqual(argmaxRows(expected));
          ensemble.dispose();
        },
      ),
      { numRuns: 15, seed: 8 },
    );
  });

  it('stacking equals StackedEnsemble within 1e-5, and a hand-computed meta-learner on constant members', async () => {
    const layers = [member(1), member(5), member(9)];
    const random = createRandom(12);
    const metaW = Float32Array.from({ length: 3 * K * K }, () => random.normal());
    const metaB = Float32Array.from({ length: K }, () => random.normal());
    const bytes = combineEnsembleOnnx(onnxOf(layers), { kind: 'stacking', metaWeights: metaW, metaBias: metaB });
    const stacked = new StackedEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), metaW, metaB);
    const n = 30;
    const xs = inputs(n, 13);
    const expected = (await stacked.logits(tf.tensor2d(xs, [n, F]))).dataSync();
    const got = await runOrt(bytes, xs, n);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    stacked.dispose();
    // constant members: features = [softmax(b₀), softmax(b₁)], logits = features · W + b by hand
    const biases = [
      [1, 0, -1],
      [0, 2, 0],
    ];
    const softmax = (z: number[]) => z.map((v) => Math.exp(v) / z.reduce((a, u) => a + Math.exp(u), 0));
    const features = biases.flatMap(softmax);
    const w = Array.from({ length: 2 * K * K }, (_, i) => (i % 5) - 2);
    const b = [0.5, -0.25, 0];
    const known = b.map((bias, c) => bias + features.reduce((a, f, j) => a + f * w[j * K + c], 0));
    const one = await runOrt(combineEnsembleOnnx(onnxOf(biases.map(constant)), { kind: 'stacking', metaWeights: w, metaBias: b }), xs.subarray(0, F), 1);
    known.forEach((v, c) => expect(one[c]).toBeCloseTo(v, 5));
  });

  it('loadModel on the written model.onnx: hard voting is a forward-only black box, stacking is white-box with the tfjs gradient', async () => {
    const layers = [member(1), member(5), member(9)];
    const hardDir = path.join(root, 'hard-onnx');
    const hard = new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), { voting: 'hard', weights: [1, 2, 1] });
    expect((await saveEnsemble(hardDir, hard, layers)).onnx.maxAbsLogitDifference).toBeLessThan(1e-5);
    const loadedHard = await loadModel(path.join(hardDir, 'model.onnx'));
    expect(isDifferentiable(loadedHard)).toBe(false);
    const n = 8;
    const x = tf.tensor2d(inputs(n, 17), [n, F]);
    const a = (await loadedHard.logits(x)).dataSync();
    const e = (await hard.logits(x)).dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - e[i])).toBeLessThan(1e-5);
    loadedHard.dispose();

    const stackDir = path.join(root, 'stack-onnx');
    const random = createRandom(4);
    const stacked = new StackedEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), Float32Array.from({ length: 3 * K * K }, () => random.normal()), Float32Array.from({ length: K }, () => random.normal()));
    await saveEnsemble(stackDir, stacked, layers);
    const loadedStack = await loadModel(path.join(stackDir, 'model.onnx'));
    expect(isDifferentiable(loadedStack)).toBe(true);
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const ga = await (loadedStack as DifferentiableModel).lossAndGradient(x, labels, 'cross-entropy');
    const gb = await stacked.lossAndGradient(x, labels, 'cross-entropy');
    const da = ga.gradient.dataSync();
    const db = gb.gradient.dataSync();
    let scale = 0;
    for (let i = 0; i < db.length; i++) scale = Math.max(scale, Math.abs(db[i]));
    expect(scale).toBeGreaterThan(1e-3);
    for (let i = 0; i < da.length; i++) expect(Math.abs(da[i] - db[i])).toBeLessThan(1e-4 * Math.max(1, scale));
    tf.dispose([x, labels, ga.loss, ga.gradient, ga.logits, gb.loss, gb.gradient, gb.logits]);
    loadedStack.dispose();
    stacked.dispose(); // disposes the layers `hard` shares
  });

  it('bad combinations name the problem and the fix', () => {
    const members = onnxOf([member(1), member(5)]);
    const codeOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (isRampartError(e)) return `${e.code}: ${e.message}`;
        throw e;
      }
      return 'no error';
    };
    expect(codeOf(() => combineEnsembleOnnx(members, { kind: 'hard', weights: [1] }))).toMatch(/^BAD_OPTION: .*1 weights for 2 members; give one per member/);
    expect(codeOf(() => combineEnsembleOnnx(members, { kind: 'soft', weights: [1, -1] }))).toMatch(/^BAD_OPTION: .*non-negative/);
    expect(codeOf(() => combineEnsembleOnnx(members, { kind: 'stacking', metaWeights: new Float32Array(K * K), metaBias: new Float32Array(K) }))).toMatch(/^MODEL_CORRUPT: .*must have 6×3 weights for 2 members of 3 classes \(got 9\); retrain/);
    expect(codeOf(() => combineEnsembleOnnx(members, { kind: 'stacking', metaWeights: new Float32Array(2 * 4 * 4), metaBias: new Float32Array(4) }))).toMatch(/^MODEL_UNSUPPORTED: .*scores 4 classes but the members' ONNX outputs have 3/);
  });
});

describe('bad ensemble folders name the member and the fix', () => {
  let layers: tfl.Sequential[];
  beforeAll(() => {
    layers = [member(1), member(5)];
  });

  async function folder(name: string): Promise<string> {
    const dir = path.join(root, name);
    await saveEnsemble(dir, new VotingEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l))), layers, { onnx: false });
    return dir;
  }
  const edit = (dir: string, change: (m: Record<string, unknown>) => void) => {
    const file = path.join(dir, 'ensemble.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(m);
    fs.writeFileSync(file, JSON.stringify(m));
  };

  it('missing member', async () => {
    const dir = await folder('missing');
    fs.rmSync(path.join(dir, 'member-1'), { recursive: true });
    const e = await errorOf(loadModel(dir));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toMatch(/member 1 \("member-1"\).*does not exist.*restore that folder or remove it/);
    expect(e.message).not.toContain('\n');
  });

  it('input shape mismatch and class-count mismatch', async () => {
    const dir = await folder('shape');
    await member(3, F + 2).save(folderSaveHandler(path.join(dir, 'member-1')));
    const e = await errorOf(loadModel(dir));
    expect(e.code).toBe('DATA_SHAPE_MISMATCH');
    expect(e.message).toMatch(/member 1 \("member-1"\) takes samples of shape \[8\] but member 0 \("member-0"\) takes \[6\]; .*replace member 1/);
    const dir2 = await folder('classes');
    await member(3, F, K + 1).save(folderSaveHandler(path.join(dir2, 'member-1')));
    const e2 = await errorOf(loadModel(dir2));
    expect(e2.message).toMatch(/member 1 \("member-1"\) has 4 classes but member 0 \("member-0"\) has 3/);
  });

  it('bad weights, a bad manifest, and a corrupt member', async () => {
    const dir = await folder('weights');
    edit(dir, (m) => (m.weights = [1, -1]));
    expect((await errorOf(loadModel(dir))).message).toMatch(/ensemble\.json: "weights": give 2 finite non-negative numbers/);
    edit(dir, (m) => (m.weights = [1, 1, 1]));
    expect((await errorOf(loadModel(dir))).message).toMatch(/"weights" has 3 entries for 2 members; give one weight per member/);
    edit(dir, (m) => ((m.weights = [1, 1]), (m.voting = 'majority')));
    expect((await errorOf(loadModel(dir))).message).toMatch(/not a valid Rampart ensemble manifest \(voting: .*docs\/harden\.md/);
    edit(dir, (m) => ((m.voting = 'soft'), (m.members = ['member-0', '.'])));
    expect((await errorOf(loadModel(dir))).message).toMatch(/member 1 \("\."\) .* is itself an ensemble folder; nested ensembles are not supported/);
    edit(dir, (m) => (m.members = ['member-0', 'member-1']));
    fs.writeFileSync(path.join(dir, 'member-0', 'model.json'), '{ not json');
    const e = await errorOf(loadModel(dir));
    expect(e.message).toMatch(/^Ensemble member 0 \("member-0"\) of .*ensemble\.json does not load: /);
  });
});

describe('disagreement versus errors', () => {
  it('hand example: halves by disagreement, the disagreed samples', () => {
    const r = disagreementVersusErrors([0, 0.5, 0, 1], [true, false, true, false]);
    expect(r).toEqual({ meanDisagreement: 0.375, lowDisagreementAccuracy: 1, highDisagreementAccuracy: 0, disagreedFraction: 0.5, disagreedAccuracy: 0 });
    expect(disagreementVersusErrors([0, 0], [true, false]).disagreedAccuracy).toBeNull();
  });

  it('property: the halves recombine to the overall accuracy; fractions stay in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 60 }), (rows) => {
        const d = rows.map(([k]) => k / 4);
        const c = rows.map(([, ok]) => ok);
        const r = disagreementVersusErrors(d, c);
        const n = rows.length;
        const half = Math.floor(n / 2);
        const overall = c.filter(Boolean).length / n;
        expect(r.lowDisagreementAccuracy * half + r.highDisagreementAccuracy * (n - half)).toBeCloseTo(overall * n, 9);
        expect(r.disagreedFraction).toBeGreaterThanOrEqual(0);
        expect(r.disagreedFraction).toBeLessThanOrEqual(1);
        expect(r.meanDisagreement).toBeCloseTo(d.reduce((a, b) => a + b, 0) / n, 12);
      }),
    );
  });
});

describe('edge cases', () => {
  it('a one-member single graph is the member with centred log-softmax logits', async () => {
    const layer = member(4);
    const bytes = combineSoftVotingOnnx([{ name: 'only', bytes: (await import('../../engine/export-onnx.js')).exportToOnnx(layer) }], [1]);
    const xs = inputs(5, 2);
    const session = await ort.InferenceSession.create(bytes);
    const out = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, [5, F]) }))[session.outputNames[0]].data as Float32Array;
    await session.release();
    const expected = tf.tidy(() => {
      const l = tf.logSoftmax(layer.predict(tf.tensor2d(xs, [5, F])) as tf.Tensor2D);
      return tf.sub(l, tf.mean(l, 1, true)).dataSync();
    });
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(expected[i], 5);
  });

  it('stacked and loaded voting ensembles leak no tensors through logits, gradients and disagreement', async () => {
    const layers = [member(1), member(2)];
    const random = createRandom(9);
    const stacked = new StackedEnsemble(layers.map((l) => TfjsModel.fromLayersModel(l)), Float32Array.from({ length: 2 * K * K }, () => random.normal()), new Float32Array(K));
    const x = tf.tensor2d(inputs(3, 1), [3, F]);
    const y = tf.tensor1d([0, 1, 2], 'int32');
    expect(isDifferentiable(stacked)).toBe(true);
    await expectNoLeaks(async () => {
      const r = await stacked.lossAndGradient(x, y);
      tf.dispose([r.loss, r.gradient, r.logits]);
      (await stacked.logits(x)).dispose();
      await stacked.disagreement(x);
    });
    stacked.dispose();
    tf.dispose([x, y]);
  });
});
