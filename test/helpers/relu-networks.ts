/**
 * Small seeded ReLU networks and properties for the complete-verification tests, and an exact reference that
 * does not use big-M: enumerate every activation pattern of the hidden layers and, per pattern, maximise the
 * property margin with an LP over that linear region (exact up to HiGHS's tolerances). Only for tiny networks
 * (2^hidden LPs).
 */
import { createRandom } from '../../src/engine/random.js';
import { forwardRelu } from '../../src/verify/interval.js';
import { intervalBounds } from '../../src/verify/interval.js';
import type { InputBox, OutputConjunction, ReluNetwork } from '../../src/verify/problem.js';
import { loadHighs, solveOnce, type LinearTerm } from '../../src/verify/highs.js';
import { encodeNetwork } from '../../src/verify/encode-network.js';

export function randomNetwork(seed: number, sizes: readonly number[]): ReluNetwork {
  const random = createRandom(seed);
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inSize = sizes[l];
    const outSize = sizes[l + 1];
    const weights = new Float64Array(inSize * outSize).map(() => random.normal() / Math.sqrt(inSize));
    const bias = new Float64Array(outSize).map(() => 0.3 * random.normal());
    layers.push({ inSize, outSize, weights, bias });
  }
  return { inputSize: sizes[0], outputSize: sizes[sizes.length - 1], layers };
}

export function randomBox(seed: number, size: number): InputBox {
  const random = createRandom(seed ^ 0x5bd1e995);
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const centre = random.normal();
    const radius = 0.1 + random.next();
    lower[i] = centre - radius;
    upper[i] = centre + radius;
  }
  return { lower, upper };
}

/** Uniform samples of the box (seeded). */
export function samplePoints(seed: number, box: InputBox, count: number): Float64Array[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => box.lower.map((lo, i) => lo + random.next() * (box.upper[i] - lo)));
}

/**
 * A conjunction of `count` random output constraints whose right-hand sides sit at a chosen quantile of sampled
 * values, so that a seed sweep gives both sat and unsat cases.
 */
export function randomConjunction(seed: number, network: ReluNetwork, box: InputBox, count: number): OutputConjunction {
  const random = createRandom(seed ^ 0x27d4eb2d);
  const outputs = samplePoints(seed + 1, box, 200).map((x) => forwardRelu(network, x));
  const constraints = Array.from({ length: count }, () => {
    const coefficients = new Float64Array(network.outputSize).map(() => random.normal());
    const values = outputs.map((y) => y.reduce((s, v, j) => s + v * coefficients[j], 0)).sort((a, b) => a - b);
    const spread = values[values.length - 1] - values[0] + 1e-3;
    // Below the sampled minimum half the time (often unsat), otherwise a low quantile (sat, found or not).
    const rhs = random.next() < 0.5 ? values[0] - random.next() * 0.5 * spread : values[Math.floor(random.next() * 20)];
    return { coefficients, rhs };
  });
  return { constraints };
}

/** Exact maximum over the box of min_k (rhs_k − c_k·y) by activation-pattern enumeration (tiny networks only). */
export async function exactMaxMargin(network: ReluNetwork, box: InputBox, conjunction: OutputConjunction): Promise<number> {
  const highs = await loadHighs();
  const bounds = intervalBounds(network, box);
  const hiddenSizes = network.layers.slice(0, -1).map((l) => l.outSize);
  const total = hiddenSizes.reduce((a, b) => a + b, 0);
  if (total > 12) throw new Error('exactMaxMargin: too many hidden neurons to enumerate');
  let best = -Infinity;
  for (let mask = 0; mask < 1 << total; mask++) {
    let bit = 0;
    const pattern = hiddenSizes.map((n) => Array.from({ length: n }, () => ((mask >> bit++) & 1) === 1));
    const encoding = encodeNetwork(network, box, bounds, { relaxation: 'pattern', activePattern: pattern });
    const t = encoding.model.addVariable(-1e6, 1e6);
    for (const { coefficients, rhs } of conjunction.constraints) {
      const terms: LinearTerm[] = [{ variable: t, coefficient: 1 }];
      coefficients.forEach((c, j) => terms.push({ variable: encoding.outputs[j], coefficient: c }));
      encoding.model.addConstraint(terms, -Infinity, rhs);
    }
    encoding.model.setObjective([{ variable: t, coefficient: 1 }], 'maximize');
    const result = solveOnce(highs, encoding.model, { timeLimitSeconds: 10 });
    if (result.status === 'optimal') best = Math.max(best, result.objective);
    else if (result.status !== 'infeasible') throw new Error(`exactMaxMargin: LP ended ${result.status}`);
  }
  return best;
}
