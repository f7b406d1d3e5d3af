/**
 * The trust boundary of the MILP and SMT engines: a solver's point is only a candidate. It is clamped into the
 * input box, pushed through the exact Float64 forward pass (`forwardRelu`), and accepted only if every output
 * constraint holds exactly in Float64 (no tolerance). Shape checks on the inputs of every engine live here too.
 *
 * @example
 * const cex = acceptCounterexample(net, box, conjunction, solverPoint); // Counterexample | undefined
 */
import { RampartError } from '../errors.js';
import { forwardRelu } from './interval.js';
import type { Counterexample, InputBox, OutputConjunction, ReluNetwork } from './problem.js';

/** Smallest slack rhs − c·y over the conjunction (≥ 0 ⇔ every constraint holds). */
export function conjunctionMargin(conjunction: OutputConjunction, output: Float64Array): number {
  let margin = Infinity;
  for (const { coefficients, rhs } of conjunction.constraints) {
    let value = 0;
    for (let j = 0; j < coefficients.length; j++) value += coefficients[j] * output[j];
    margin = Math.min(margin, rhs - value);
  }
  return margin;
}

export function clampToBox(box: InputBox, point: ArrayLike<number>): Float64Array {
  const out = new Float64Array(box.lower.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(box.upper[i], Math.max(box.lower[i], point[i]));
  return out;
}

/** The counterexample, if `point` (clamped into the box) really satisfies the conjunction in Float64. */
export function acceptCounterexample(network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, point: ArrayLike<number>): Counterexample | undefined {
  const input = clampToBox(box, point);
  if (input.some((v) => !Number.isFinite(v))) return undefined;
  const output = forwardRelu(network, input);
  return conjunctionMargin(conjunction, output) >= 0 ? { input, output } : undefined;
}

/** Throws a RampartError naming the mismatch when the network, box and conjunction do not fit together. */
export function checkCaseShapes(engine: string, network: ReluNetwork, box: InputBox, conjunction: OutputConjunction): void {
  if (box.lower.length !== network.inputSize || box.upper.length !== network.inputSize) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `${engine}: the input box has ${box.lower.length} coordinates but the network takes ${network.inputSize}; check that the VNN-LIB file belongs to this network.`);
  }
  for (let i = 0; i < network.inputSize; i++) {
    if (!(box.lower[i] <= box.upper[i]) || !Number.isFinite(box.lower[i]) || !Number.isFinite(box.upper[i])) {
      throw new RampartError('BAD_OPTION', `${engine}: input box coordinate ${i} is [${box.lower[i]}, ${box.upper[i]}]; every coordinate needs finite bounds with lower ≤ upper.`);
    }
  }
  conjunction.constraints.forEach((c, k) => {
    if (c.coefficients.length !== network.outputSize) {
      throw new RampartError('DATA_SHAPE_MISMATCH', `${engine}: output constraint ${k} has ${c.coefficients.length} coefficients but the network has ${network.outputSize} outputs.`);
    }
    if (!Number.isFinite(c.rhs) || c.coefficients.some((v) => !Number.isFinite(v))) {
      throw new RampartError('NON_FINITE_INPUT', `${engine}: output constraint ${k} has a non-finite coefficient or right-hand side.`);
    }
  });
}
