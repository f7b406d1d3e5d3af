/**
 * Training ensembles from a member trainer (any function from a data set and a seed to a model, e.g. one
 * `hardenClassifier` run, so members can be adversarially trained):
 * - bagging (Breiman 1996, https://doi.org/10.1007/BF00058655): each member on a seeded bootstrap sample; soft vote.
 * - boosting: SAMME with weighted resampling (samme.ts); weighted hard vote with the members' α.
 * - stacking (Wolpert 1992, https://doi.org/10.1016/S0893-6080(05)80023-1): k-fold out-of-fold member
 *   probabilities train a multinomial logistic-regression meta-learner; the members are then retrained on all
 *   data. A sample's meta-features never come from a member that saw it.
 */
import { subsetOf, type LoadedData } from '../../data/load-all.js';
import { createRandom, permutation } from '../../engine/random.js';
import { tf } from '../../engine/tf.js';
import type { DifferentiableModel, Model } from '../../engine/model.js';
import { RampartError } from '../../errors.js';
import { sammeStep, weightedResample } from './samme.js';
import { StackedEnsemble, VotingEnsemble } from '../../engine/ensemble.js';

/** The stacked ensemble's inference part lives in src/engine/ensemble.ts (loadModel reads saved ones). */
export { StackedEnsemble };

export type MemberTrainer = (data: LoadedData, seed: number, indices: Int32Array) => Promise<DifferentiableModel>;

/** The samples at `indices` (kept under this name for callers of the ensemble API). */
export const subset = subsetOf;

async function probabilities(model: Model, data: LoadedData): Promise<Float32Array> {
  const z = await model.logits(tf.tensor(data.x, [data.count, ...data.sampleShape]));
  const p = tf.tidy(() => tf.softmax(z));
  const values = Float32Array.from(p.dataSync());
  tf.dispose([z, p]);
  return values;
}

export async function trainBagging(data: LoadedData, members: number, trainer: MemberTrainer, seed = 0): Promise<VotingEnsemble> {
  const models: DifferentiableModel[] = [];
  for (let m = 0; m < members; m++) {
    const random = createRandom(seed * 7919 + m);
    const indices = Int32Array.from({ length: data.count }, () => random.int(data.count));
    models.push(await trainer(subset(data, indices), seed + m, indices));
  }
  return new VotingEnsemble(models, { voting: 'soft', id: `bagging-${members}` });
}

export interface BoostingResult {
  ensemble: VotingEnsemble;
  errors: number[];
  alphas: number[];
}

export async function trainBoosting(data: LoadedData, numClasses: number, rounds: number, trainer: MemberTrainer, seed = 0): Promise<BoostingResult> {
  let weights: ArrayLike<number> = new Float64Array(data.count).fill(1 / data.count);
  const models: DifferentiableModel[] = [];
  const errors: number[] = [];
  const alphas: number[] = [];
  for (let m = 0; m < rounds; m++) {
    const indices = weightedResample(weights, data.count, seed * 7919 + m);
    const model = await trainer(subset(data, indices), seed + m, indices);
    const p = await probabilities(model, data);
    const misses = Array.from({ length: data.count }, (_, i) => {
      let best = 0;
      for (let k = 1; k < numClasses; k++) if (p[i * numClasses + k] > p[i * numClasses + best]) best = k;
      return best !== data.y[i];
    });
    const step = sammeStep(weights, misses, numClasses);
    if (step.stop) {
      model.dispose();
      break;
    }
    models.push(model);
    errors.push(step.error);
    alphas.push(step.alpha);
    weights = step.weights;
  }
  if (models.length === 0) throw new RampartError('BAD_OPTION', 'Boosting: the first member is no better than chance; train members longer.');
  return { ensemble: new VotingEnsemble(models, { voting: 'hard', weights: alphas, id: `samme-${models.length}` }), errors, alphas };
}

export interface StackingResult {
  ensemble: StackedEnsemble;
  /** [count, M·K] out-of-fold probabilities the meta-learner was trained on. */
  outOfFold: Float32Array;
  /** Fold of each sample. */
  foldOf: Int32Array;
}

/** Fits softmax regression on features [n, d] → K classes by full-batch gradient descent (seeded init at 0). */
export function fitSoftmaxRegression(features: Float32Array, labels: Int32Array, d: number, k: number, epochs = 300, learningRate = 0.5, l2 = 1e-4): { w: Float32Array; b: Float32Array } {
  const n = labels.length;
  return tf.tidy(() => {
    const x = tf.tensor2d(features, [n, d]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), k);
    const w = tf.variable(tf.zeros([d, k]));
    const b = tf.variable(tf.zeros([k]));
    const optimizer = tf.train.sgd(learningRate);
    for (let e = 0; e < epochs; e++) {
      optimizer.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)), tf.mul(l2, tf.sum(tf.square(w)))) as tf.Scalar);
    }
    const out = { w: Float32Array.from(w.dataSync()), b: Float32Array.from(b.dataSync()) };
    optimizer.dispose();
    w.dispose();
    b.dispose();
    return out;
  });
}

export async function trainStacking(data: LoadedData, numClasses: number, memberTrainers: MemberTrainer[], folds = 5, seed = 0): Promise<StackingResult> {
  const k = numClasses;
  const m = memberTrainers.length;
  const order = permutation(data.count, createRandom(seed + 31));
  const foldOf = new Int32Array(data.count);
  order.forEach((idx, i) => (foldOf[idx] = i % folds));
  const outOfFold = new Float32Array(data.count * m * k);
  for (let f = 0; f < folds; f++) {
    const trainIdx = Int32Array.from([...Array(data.count).keys()].filter((i) => foldOf[i] !== f));
    const heldIdx = Int32Array.from([...Array(data.count).keys()].filter((i) => foldOf[i] === f));
    const held = subset(data, heldIdx);
    for (let j = 0; j < m; j++) {
      const model = await memberTrainers[j](subset(data, trainIdx), seed + f * m + j, trainIdx);
      const p = await probabilities(model, held);
      model.dispose();
      heldIdx.forEach((idx, r) => outOfFold.set(p.subarray(r * k, (r + 1) * k), (idx * m + j) * k));
    }
  }
  const { w, b } = fitSoftmaxRegression(outOfFold, data.y, m * k, k);
  const all = Int32Array.from(data.count === 0 ? [] : [...Array(data.count).keys()]);
  const members: Model[] = [];
  for (let j = 0; j < m; j++) members.push(await memberTrainers[j](data, seed + 1000 + j, all));
  return { ensemble: new StackedEnsemble(members, w, b), outOfFold, foldOf };
}
