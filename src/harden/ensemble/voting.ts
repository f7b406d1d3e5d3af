/**
 * Voting ensembles as a Rampart `Model`. Soft voting averages the members' class probabilities with weights wₘ
 * (Σwₘ = 1) and exposes logits log(Σ wₘ·softmax(zₘ)), so softmax of the ensemble logits IS the averaged
 * probability vector and the ensemble is differentiable (a `DifferentiableModel` when every member is): attacks,
 * smoothing and calibration see one model. Hard voting counts (weighted) votes of the members' argmax; it has
 * no useful gradient (`gradientsAvailable = false`), so only score- and decision-based attacks apply.
 * Disagreement (fraction of members whose prediction differs from the ensemble's) is the uncertainty score.
 * @example const ensemble = new VotingEnsemble([a, b, c], { voting: 'soft' }); await ensemble.logits(x);
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../../engine/tf.js';
import type { LossName } from '../../engine/losses.js';
import { tfjsLossAndGradient } from '../../engine/autodiff.js';
import type { Bounds, DifferentiableModel, LossAndGradient, Model, ModelFormat } from '../../engine/model.js';
import { isDifferentiable } from '../../engine/model.js';
import { RampartError } from '../../errors.js';

export interface VotingOptions {
  voting?: 'soft' | 'hard';
  /** Member weights (normalised to sum 1; default equal). SAMME boosting passes its α's. */
  weights?: readonly number[];
  id?: string;
}

export class VotingEnsemble implements DifferentiableModel {
  readonly id: string;
  readonly format: ModelFormat;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly bounds: Bounds;
  readonly voting: 'soft' | 'hard';
  readonly weights: number[];
  readonly gradientsAvailable: boolean;

  constructor(
    readonly members: readonly Model[],
    options: VotingOptions = {},
  ) {
    if (members.length === 0) throw new RampartError('BAD_OPTION', 'An ensemble needs at least one member model.');
    const first = members[0];
    for (const m of members) {
      if (m.numClasses !== first.numClasses || m.inputShape.join() !== first.inputShape.join()) {
        throw new RampartError('BAD_OPTION', `Ensemble members must share input shape and classes: ${m.id} has [${m.inputShape.join(', ')}] → ${m.numClasses}, ${first.id} has [${first.inputShape.join(', ')}] → ${first.numClasses}.`);
      }
    }
    const raw = options.weights ?? members.map(() => 1);
    if (raw.length !== members.length || raw.some((w) => !(w >= 0)) || raw.every((w) => w === 0)) {
      throw new RampartError('BAD_OPTION', `Ensemble weights must be ${members.length} non-negative numbers, not all 0.`);
    }
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.voting = options.voting ?? 'soft';
    this.id = options.id ?? `ensemble(${members.map((m) => m.id).join(',')})`;
    this.format = first.format;
    this.inputShape = first.inputShape;
    this.numClasses = first.numClasses;
    this.bounds = first.bounds;
    this.gradientsAvailable = this.voting === 'soft' && members.every((m) => isDifferentiable(m));
  }

  private combine(memberLogits: Tensor2D[]): Tensor2D {
    return tf.tidy(() => {
      if (this.voting === 'soft') {
        const mean = memberLogits.map((z, i) => tf.mul(tf.softmax(z), this.weights[i])).reduce((a, b) => tf.add(a, b));
        return tf.log(tf.maximum(mean, 1e-30)) as Tensor2D;
      }
      const votes = memberLogits.map((z, i) => tf.mul(tf.oneHot(tf.argMax(z, 1), this.numClasses), this.weights[i])).reduce((a, b) => tf.add(a, b));
      // log of the vote share; ties broken towards the lower class index by argmax
      return tf.log(tf.add(votes, 1e-6)) as Tensor2D;
    });
  }

  async logits(x: Tensor): Promise<Tensor2D> {
    const outs: Tensor2D[] = [];
    try {
      for (const m of this.members) outs.push(await m.logits(x));
      return this.combine(outs);
    } finally {
      tf.dispose(outs);
    }
  }

  logitsSync(x: Tensor): Tensor2D {
    if (!this.gradientsAvailable) throw new RampartError('BAD_OPTION', `${this.id}: synchronous logits need soft voting over differentiable members.`);
    return tf.tidy(() => this.combine(this.members.map((m) => (m as DifferentiableModel).logitsSync(x))));
  }

  lossAndGradientSync(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient {
    if (!this.gradientsAvailable) throw new RampartError('BAD_OPTION', `${this.id}: gradients need soft voting over differentiable members (use a score- or decision-based attack for hard voting).`);
    return tfjsLossAndGradient((input) => this.logitsSync(input), x, labels, loss, targets);
  }

  async lossAndGradient(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): Promise<LossAndGradient> {
    return this.lossAndGradientSync(x, labels, loss, targets);
  }

  /** Per-sample disagreement: weighted fraction of members whose argmax differs from the ensemble's. */
  async disagreement(x: Tensor): Promise<Float32Array> {
    const ensemble = await this.logits(x);
    const member: Tensor2D[] = [];
    try {
      for (const m of this.members) member.push(await m.logits(x));
      const d = tf.tidy(() => {
        const e = tf.argMax(ensemble, 1);
        return member.map((z, i) => tf.mul(tf.cast(tf.notEqual(tf.argMax(z, 1), e), 'float32'), this.weights[i])).reduce((a, b) => tf.add(a, b));
      });
      const values = Float32Array.from(d.dataSync());
      d.dispose();
      return values;
    } finally {
      tf.dispose([ensemble, ...member]);
    }
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
