/**
 * Ensembles: soft voting is the weighted mean of member probabilities and its gradient the weighted mean of
 * member gradients; SAMME's error, α and weight update on a hand example; stacking's meta-features are
 * out-of-fold (no member saw the sample it scored); bagging members differ; hard voting is a majority; save/load
 * round-trips; no leaks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor } from '../../engine/tf.js';
import { setupBackend } from '../../engine/backend.js';
import { createRandom } from '../../engine/random.js';
import { TfjsModel } from '../../engine/tfjs-model.js';
import { isDifferentiable } from '../../engine/model.js';
import type { LoadedData } from '../../data/load-all.js';
import { VotingEnsemble } from './voting.js';
import { sammeStep, weightedResample } from './samme.js';
import { trainBagging, trainBoosting, trainStacking, type MemberTrainer } from './train.js';
import { loadEnsemble, saveEnsemble } from './export.js';
import { hardenClassifier } from '../loop.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';

const F = 6;
const K = 3;

function member(seed: number): TfjsModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [F], units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return TfjsModel.fromLayersModel(m, { id: `m${seed}` });
}

function blobs(count: number, seed: number): LoadedData {
  const random = createRandom(seed);
  const x = new Float32Array(count * F);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    y[n] = n % K;
    for (let f = 0; f < F; f++) x[n * F + f] = Math.min(1, Math.max(0, 0.5 + (f % K === y[n] ? 0.25 : -0.1) + 0.15 * random.normal()));
  }
  return { x, y, count, sampleShape: [F] };
}

const trainer: MemberTrainer = async (data, seed) => {
  const model = member(seed);
  const r = await hardenClassifier({ layersModel: model.layersModel }, data, data, { epochs: 4, batchSize: 32, learningRate: 0.05, seed, select: 'last', evaluation: { robustSamples: 0 } });
  await r.engine.release();
  return model;
};

beforeAll(async () => {
  await setupBackend();
});

describe('voting ensembles', () => {
  it('soft voting: softmax(ensemble logits) is the weighted mean of member probabilities, and its gradient the weighted mean of member gradients', async () => {
    const members = [member(1), member(5), member(9)];
    const weights = [0.5, 0.3, 0.2];
    const ensemble = new VotingEnsemble(members, { voting: 'soft', weights });
    expect(isDifferentiable(ensemble)).toBe(true);
    const random = createRandom(2);
    const x = tf.tensor2d(Float32Array.from({ length: 4 * F }, () => random.next()), [4, F]);
    const labels = tf.tensor1d([0, 1, 2, 1], 'int32');
    const hot = tf.oneHot(labels, K);
    const trueProb = (f: (t: Tensor) => tf.Tensor2D) => (t: Tensor) => tf.sum(tf.mul(tf.softmax(f(t)), hot)) as tf.Scalar;
    const ensembleGrad = tf.grad(trueProb((t) => ensemble.logitsSync(t)))(x);
    const memberGrads = members.map((m) => tf.grad(trueProb((t) => m.logitsSync(t)))(x));
    const meanGrad = memberGrads.map((g, i) => tf.mul(g, weights[i])).reduce((a, b) => tf.add(a, b));
    const a = ensembleGrad.dataSync();
    const b = meanGrad.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    const pe = tf.softmax(ensemble.logitsSync(x)).dataSync();
    const pm = members.map((m, i) => tf.mul(tf.softmax(m.logitsSync(x)), weights[i])).reduce((s, t) => tf.add(s, t)).dataSync();
    for (let i = 0; i < pe.length; i++) expect(pe[i]).toBeCloseTo(pm[i], 6);
    // the cross-entropy gradient attacks use is −(1/p̄ᵧ)·Σ wₘ ∇pₘ,ᵧ
    const { gradient } = ensemble.lossAndGradientSync(x, labels);
    const py = tf.sum(tf.mul(tf.softmax(ensemble.logitsSync(x)), hot), 1, true);
    const perSampleMeanGrad = members
      .map((m, i) => tf.mul(tf.grad((t: Tensor) => tf.sum(tf.mul(tf.softmax(m.logitsSync(t)), hot)) as tf.Scalar)(x), weights[i]))
      .reduce((s, t) => tf.add(s, t));
    const expected = tf.neg(tf.div(perSampleMeanGrad, py)).dataSync();
    const got = gradient.dataSync();
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 4);
    ensemble.dispose();
  });

  it('hard voting is a (weighted) majority and reports no gradient; disagreement counts dissenting members', async () => {
    const members = [member(1), member(5), member(9)];
    const soft = new VotingEnsemble(members, { voting: 'hard' });
    expect(isDifferentiable(soft)).toBe(false);
    const random = createRandom(3);
    const x = tf.tensor2d(Float32Array.from({ length: 20 * F }, () => random.next()), [20, F]);
    const preds = await Promise.all(members.map(async (m) => tf.argMax(await m.logits(x), 1).dataSync()));
    const ens = tf.argMax(await soft.logits(x), 1).dataSync();
    const dis = await soft.disagreement(x);
    for (let n = 0; n < 20; n++) {
      const votes = [0, 0, 0];
      preds.forEach((p) => votes[p[n]]++);
      expect(votes[ens[n]]).toBe(Math.max(...votes));
      const dissent = preds.filter((p) => p[n] !== ens[n]).length / 3;
      expect(dis[n]).toBeCloseTo(dissent, 6);
    }
    soft.dispose();
  });

  it('soft-voting gradients leak no tensors', async () => {
    const ensemble = new VotingEnsemble([member(1), member(2)]);
    const x = tf.zeros([2, F]);
    const y = tf.tensor1d([0, 1], 'int32');
    await expectNoLeaks(async () => {
      const r = await ensemble.lossAndGradient(x, y);
      tf.dispose([r.loss, r.gradient, r.logits]);
      (await ensemble.logits(x)).dispose();
    });
    ensemble.dispose();
  });
});

describe('SAMME', () => {
  it('hand example: 4 equal weights, one miss, K = 3 → err 0.25, α = ln 3 + ln 2, miss weight 2/3', () => {
    const step = sammeStep([0.25, 0.25, 0.25, 0.25], [true, false, false, false], 3);
    expect(step.error).toBeCloseTo(0.25, 12);
    expect(step.alpha).toBeCloseTo(Math.log(6), 12);
    expect([...step.weights].map((w) => +w.toFixed(6))).toEqual([0.666667, 0.111111, 0.111111, 0.111111]);
    expect(step.stop).toBe(false);
    expect(sammeStep([0.5, 0.5], [true, true], 3).stop).toBe(true);
  });

  it('weighted resampling draws indices in proportion to their weights', () => {
    const counts = [0, 0, 0];
    for (const i of weightedResample([0.7, 0.2, 0.1], 20_000, 4)) counts[i]++;
    expect(counts[0] / 20_000).toBeCloseTo(0.7, 1);
    expect(counts[2] / 20_000).toBeCloseTo(0.1, 1);
  });

  it('boosting trains members with decreasing-weight focus and votes with α', async () => {
    const data = blobs(150, 1);
    const { ensemble, alphas, errors } = await trainBoosting(data, K, 3, trainer, 1);
    expect(alphas.length).toBeGreaterThan(0);
    alphas.forEach((a, i) => expect(a).toBeCloseTo(Math.log((1 - errors[i]) / errors[i]) + Math.log(K - 1), 10));
    expect(ensemble.voting).toBe('hard');
    ensemble.dispose();
  });
});

describe('bagging and stacking', () => {
  it('stacking trains the meta-learner on out-of-fold predictions only', async () => {
    const data = blobs(120, 2);
    const seen: Int32Array[] = [];
    const recording: MemberTrainer = async (d, seed, indices) => {
      seen.push(indices);
      return trainer(d, seed, indices);
    };
    const { ensemble, foldOf, outOfFold } = await trainStacking(data, K, [recording, recording], 3, 1);
    // calls 0..5 are (fold f, member j) in order; each must exclude its fold's samples
    for (let call = 0; call < 6; call++) {
      const fold = Math.floor(call / 2);
      for (const i of seen[call]) expect(foldOf[i]).not.toBe(fold);
      expect(seen[call].length).toBe(120 - foldOf.filter((f) => f === fold).length);
    }
    expect(outOfFold.length).toBe(120 * 2 * K);
    const z = await ensemble.logits(tf.tensor2d(data.x, [120, F]));
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(z, 1), tf.tensor1d(data.y, 'int32')), 'float32')).dataSync()[0];
    expect(acc).toBeGreaterThan(0.8);
    ensemble.dispose();
  });

  it('bagging members see different bootstrap samples; the ensemble round-trips through ensemble.json', async () => {
    const data = blobs(90, 3);
    const ensemble = await trainBagging(data, 3, trainer, 2);
    const x = tf.tensor2d(data.x, [90, F]);
    const before = (await ensemble.logits(x)).dataSync();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ens-'));
    try {
      await saveEnsemble(dir, ensemble, ensemble.members.map((m) => (m as TfjsModel).layersModel!));
      const loaded = await loadEnsemble(dir);
      const after = (await loaded.logits(x)).dataSync();
      for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 4);
      expect(loaded.voting).toBe('soft');
      loaded.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const d = await ensemble.disagreement(x);
    expect(Math.max(...d)).toBeLessThanOrEqual(1);
    ensemble.dispose();
  });
});
