/** Every diagnostic flag triggers on a deliberately broken model (test/helpers/broken-models.ts). */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf } from '../../engine/tf.js';
import { setupBackend } from '../../engine/backend.js';
import { loadModel } from '../../engine/load.js';
import { isDifferentiable, type DifferentiableModel, type Model } from '../../engine/model.js';
import { openDataset, loadAll } from '../../data/index.js';
import type { Dataset } from '../../data/dataset.js';
import { runAttacks, type AttackRequest } from '../../attacks/harness.js';
import { cleanOnlyGradientModel, noisyModel, quantisingModel, softmaxModel, wrapModel } from '../../../test/helpers/broken-models.js';
import { runDiagnostics, type RunDiagnosticsOptions } from './run.js';
import { diagnosticRegistry } from './builtin.js';
import { arrayDataset } from '../memory-dataset.js';
import { binaryLinearModel } from '../../../test/helpers/linear-models.js';

let base: DifferentiableModel;
let data: Dataset;

beforeAll(async () => {
  await setupBackend();
  const loaded: Model = await loadModel('builtin:mnist-cnn');
  if (!isDifferentiable(loaded)) throw new Error('mnist-cnn should be white-box');
  base = loaded;
  data = await openDataset('mnist:test', { limit: 12 });
});
afterAll(() => base?.dispose());

async function flagOf(id: string, options: Omit<RunDiagnosticsOptions, 'data' | 'only'>) {
  const section = await runDiagnostics({ ...options, data, only: [id] });
  expect(section.checks).toHaveLength(1);
  return section;
}

async function report(model: Model, attacks: AttackRequest[], epsilon: number) {
  return runAttacks({ model, data, attacks, norm: 'linf', epsilons: [epsilon], batchSize: 12 });
}

function expectFlag(section: Awaited<ReturnType<typeof flagOf>>, id: string) {
  expect(section.checks[0].status, JSON.stringify(section.checks[0])).toBe('flagged');
  expect(section.flags).toHaveLength(1);
  const flag = section.flags[0];
  expect(flag.id).toBe(id);
  expect(flag.message).toContain(diagnosticRegistry.get(id).remedy);
  expect(Object.keys(flag.evidence).length).toBeGreaterThan(0);
  return flag;
}

describe('diagnostics trigger on broken models', () => {
  it('random-logits: noise in the forward pass', async () => {
    const flag = expectFlag(await flagOf('random-logits', { model: noisyModel(base, 1), norm: 'linf', epsilons: [0.1] }), 'random-logits');
    expect(flag.evidence.maxLogitDifference as number).toBeGreaterThan(0.1);
    expect(flag.severity).toBe('critical');
  });

  it('softmax-output: probabilities instead of logits', async () => {
    const flag = expectFlag(await flagOf('softmax-output', { model: softmaxModel(base), norm: 'linf', epsilons: [0.1] }), 'softmax-output');
    expect(flag.evidence.probabilityRows).toBe(12);
    const logSoftmax = wrapModel(base, 'log-softmax', undefined, (z) => tf.logSoftmax(z));
    expectFlag(await flagOf('softmax-output', { model: logSoftmax, norm: 'linf', epsilons: [0.1] }), 'softmax-output');
  });

  it('gradient-health: a quantising input layer (zero gradient) and a sqrt input (Inf/NaN gradient)', async () => {
    const zero = expectFlag(await flagOf('gradient-health', { model: quantisingModel(base), norm: 'linf', epsilons: [0.1] }), 'gradient-health');
    expect(zero.evidence.zeroGradientFraction).toBe(1);
    const sqrt = wrapModel(base, 'sqrt-input', (x) => tf.sqrt(x));
    const nonFinite = expectFlag(await flagOf('gradient-health', { model: sqrt, norm: 'linf', epsilons: [0.1] }), 'gradient-health');
    expect(nonFinite.evidence.nonFiniteGradientSamples as number).toBeGreaterThan(0);
  });

  it('black-box-beats-white-box: Square breaks the quantised model, PGD cannot', async () => {
    const model = quantisingModel(base);
    const run = await report(model, [{ id: 'pgd', options: { randomStart: false, steps: 10 } }, { id: 'square', options: { queries: 100 } }], 0.5);
    const flag = expectFlag(await flagOf('black-box-beats-white-box', { model, report: run, norm: 'linf', epsilons: [0.5] }), 'black-box-beats-white-box');
    expect(flag.evidence.blackBoxSuccessRate as number).toBeGreaterThan(flag.evidence.whiteBoxSuccessRate as number);
  });

  it('large-epsilon-not-total: PGD without a random start on the quantised model at ε = 1', async () => {
    const model = quantisingModel(base);
    const flag = expectFlag(
      await flagOf('large-epsilon-not-total', { model, norm: 'linf', epsilons: [0.1], active: true, attack: { id: 'pgd', options: { randomStart: false, steps: 10 } } }),
      'large-epsilon-not-total',
    );
    expect(flag.evidence.epsilon).toBe(1);
    expect(flag.evidence.successRate as number).toBeLessThan(0.99);
  });

  it('iterative-weaker-than-single-step: gradients only at the clean points', async () => {
    const clean = (await loadAll(data)).x;
    const model = cleanOnlyGradientModel(base, clean);
    const run = await report(model, [{ id: 'fgsm' }, { id: 'pgd', options: { steps: 10 } }], 0.2);
    const flag = expectFlag(await flagOf('iterative-weaker-than-single-step', { model, report: run, norm: 'linf', epsilons: [0.2] }), 'iterative-weaker-than-single-step');
    expect(flag.evidence.singleStepSuccessRate as number).toBeGreaterThan(flag.evidence.iterativeSuccessRate as number);
  });

  it('not-converged: PGD with 5 small steps keeps improving with 20', async () => {
    const flag = expectFlag(
      await flagOf('not-converged', { model: base, norm: 'linf', epsilons: [0.15], active: true, attack: { id: 'pgd', options: { steps: 5, relStepSize: 0.05, randomStart: false } } }),
      'not-converged',
    );
    expect(flag.evidence.robustAccuracyIncreased as number).toBeLessThan(flag.evidence.robustAccuracy as number);
    expect(flag.severity).toBe('warning');
  });

  it('noise-as-strong-as-attack: zero-gradient PGD against random corners on the quantised model', async () => {
    const model = quantisingModel(base);
    const run = await report(model, [{ id: 'pgd', options: { randomStart: false, steps: 5 } }], 0.5);
    const flag = expectFlag(await flagOf('noise-as-strong-as-attack', { model, report: run, norm: 'linf', epsilons: [0.5] }), 'noise-as-strong-as-attack');
    expect((flag.evidence.noiseSuccessRates as number[])[0]).toBeGreaterThan(0);
  });

  it('skips what it cannot check and rejects bad options', async () => {
    const section = await runDiagnostics({ model: base, data, norm: 'linf', epsilons: [0.1], only: ['black-box-beats-white-box', 'not-converged'] });
    expect(section.checks.map((c) => c.status)).toEqual(['skipped', 'skipped']);
    await expect(runDiagnostics({ model: base, data, norm: 'linf', epsilons: [0.1], only: ['random-logits'], options: { 'random-logits': { repeats: 1 } } })).rejects.toThrow(/random-logits.*repeats/);
    await expect(runDiagnostics({ model: base, data, norm: 'linf', epsilons: [0.1], only: ['nope'] })).rejects.toThrow(/Unknown diagnostic "nope"/);
  });
});

describe('noise-as-strong-as-attack compares noise and attack on the same samples', () => {
  // A 1-D linear model z1 − z0 = x: at ε = 0.1 exactly the samples with |x| < 0.1 can be broken, and both the
  // optimal attack (PGD reaches the corner) and random corners (8 draws of ±ε) break those same four.
  const xs = Float32Array.from([0.025, -0.02, -0.05, 0.07, 0.5, -0.6, 0.8, -0.9, 1.2, -1.5, 2, -3]);
  const ys = Int32Array.from(xs, (v) => (v > 0 ? 1 : 0));
  const linearData = () => arrayDataset(xs, ys, [1], 2, 'linear-1d');

  async function linearCheck(attack: AttackRequest, options: Record<string, unknown> = {}) {
    const model = binaryLinearModel([1], 0, { bounds: [-10, 10] });
    try {
      const run = await runAttacks({ model, data: linearData(), attacks: [attack], norm: 'linf', epsilons: [0.1], batchSize: 12 });
      return await runDiagnostics({ model, data: linearData(), report: run, norm: 'linf', epsilons: [0.1], only: ['noise-as-strong-as-attack'], options: { 'noise-as-strong-as-attack': options } });
    } finally {
      model.dispose();
    }
  }

  it('stays clear when noise breaks as many samples as a strong attack, all of them also broken by the attack', async () => {
    const section = await linearCheck({ id: 'pgd' });
    const check = section.checks[0];
    expect(check.status, JSON.stringify(check)).toBe('clear');
    // the earlier rule (attack rate ≤ noise rate + 2 points) would have flagged this: both are 4 of 12
    expect(check.evidence).toMatchObject({ correctSamples: 12, noiseBroken: [4], attackBroken: [4], noiseOnly: [0], attackOnly: [0], noiseSuccessRates: [0.3333], attackSuccessRates: [0.3333] });
    expect(section.flags).toEqual([]);
  });

  it('flags samples that noise breaks and the attack misses (one PGD step of 0.03 reaches only |x| ≤ 0.03)', async () => {
    const section = await linearCheck({ id: 'pgd', options: { steps: 1, relStepSize: 0.3, randomStart: false } });
    const flag = expectFlag(section, 'noise-as-strong-as-attack');
    expect(flag.evidence).toMatchObject({ noiseBroken: [4], attackBroken: [2], noiseOnly: [2], attackOnly: [0] });
    expect(flag.message).toContain('broke 4 of 12 correct samples, the attack 2, of which noise-only 2');
    // a higher threshold tolerates them
    const lenient = await linearCheck({ id: 'pgd', options: { steps: 1, relStepSize: 0.3, randomStart: false } }, { minNoiseOnly: 3 });
    expect(lenient.checks[0].status).toBe('clear');
  });
});
