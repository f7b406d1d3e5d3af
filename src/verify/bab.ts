/**
 * Branch and bound for one property case (an input box and a disjunction of output conjunctions): proves every
 * disjunct infeasible on the box (`unsat`), or finds a point where one holds (`sat`), within a time budget.
 *
 * Two branching schemes over the same CROWN bounds ({@link ./crown.ts}):
 * - input splitting (ReluVal, Wang et al. 2018, https://arxiv.org/abs/1804.10829), for few inputs: bisect the
 *   widest dimension (default; on ACAS Xu it needed 2-8× fewer boxes than the "smear" |∂bound/∂x_t|·width_t
 *   heuristic, which is available as an option). Children start from their parent's intermediate bounds, and a
 *   child that those already prove costs one cheap backward pass. Disjuncts proven on a box are dropped for its children, so a
 *   box shares one intermediate-bound computation among all disjuncts still open on it.
 * - ReLU splitting (BaB-SR, Bunel et al. 2020, https://arxiv.org/abs/1909.06588; split constraints as in
 *   β-CROWN without β), for wide inputs: split the unstable neuron with the largest |Λ_j|·u_j(−l_j)/(u_j−l_j),
 *   i.e. the slack its upper chord adds to the bound, processing subdomains worst bound first.
 *
 * Falsification (PGD from random and face-biased starts, {@link ./falsify.ts}) runs as soon as the root domain is not
 * proven, again briefly on every 32nd open box, and the minimiser corner of every box's linear bound and the box
 * centre are checked on the way, so counterexamples surface early (best-first order helps: the worst-bounded box
 * is the likeliest to hold one). Every candidate goes
 * through `accept` (the verifier's independent check) before it is returned.
 *
 * @example
 * const verdict = babCase(network, property.cases[0], { timeoutMs: 10_000, seed: 0, accept: () => true });
 */
import type { OutputConjunction, PropertyCase, ReluNetwork, Verdict } from './problem.js';
import { computeIntermediateBounds, specLowerBounds, type IntermediateBounds } from './crown.js';
import { conjunctionMargin, falsifyBox } from './falsify.js';
import { forwardRelu } from './interval.js';
import { createRandom } from '../engine/random.js';

export interface BabOptions {
  readonly timeoutMs: number;
  readonly seed?: number;
  /** 'auto': input splitting for at most 16 inputs, ReLU splitting otherwise. */
  readonly branching?: 'auto' | 'input' | 'relu';
  /** Independent check of a candidate counterexample (inside the box, property holds); false → keep searching. */
  readonly accept: (input: Float64Array, output: Float64Array) => boolean;
  /**
   * Input-split dimension: 'widest' (default; on ACAS Xu it needed 2-8× fewer boxes than smear) or 'smear'
   * (largest |coefficient|·width of the CROWN bound's input coefficients).
   */
  readonly splitHeuristic?: 'widest' | 'smear';
  /**
   * α-CROWN-lite iterations on each box's specification bound (0 = CROWN's adaptive slopes). On ACAS Xu it saved
   * under 5% of the boxes for more time per box, so it is off by default.
   */
  readonly alphaIterations?: number;
  /** PGD restarts and steps of the initial falsification. */
  readonly attackRestarts?: number;
  readonly attackSteps?: number;
}

export interface BabStats {
  /** Boxes (input splitting) or subdomains (ReLU splitting) whose bounds were computed. */
  domains: number;
  /** Largest number of open domains at once. */
  maxOpen: number;
}

export interface BabResult {
  readonly verdict: Verdict;
  readonly stats: BabStats;
}

/** Stacked constraint rows of the given disjuncts (rows × outputSize) and their rhs, plus each row's disjunct. */
function stackRows(outputs: readonly OutputConjunction[], pending: readonly number[], outputSize: number) {
  let count = 0;
  for (const d of pending) count += outputs[d].constraints.length;
  const rows = new Float64Array(count * outputSize);
  const rhs = new Float64Array(count);
  const owner = new Int32Array(count);
  let r = 0;
  for (const d of pending) {
    for (const c of outputs[d].constraints) {
      rows.set(c.coefficients, r * outputSize);
      rhs[r] = c.rhs;
      owner[r] = d;
      r++;
    }
  }
  return { rows, rhs, owner, count };
}

export function babCase(network: ReluNetwork, pcase: PropertyCase, options: BabOptions): BabResult {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const random = createRandom(options.seed ?? 0);
  const stats: BabStats = { domains: 0, maxOpen: 0 };
  const outputs = pcase.outputs;
  const box = pcase.box;

  const tryPoint = (x: Float64Array): Verdict | undefined => {
    const y = forwardRelu(network, x);
    for (const conjunction of outputs) {
      if (conjunctionMargin(conjunction, y) <= 0 && options.accept(x, y)) {
        return { status: 'sat', counterexample: { input: Float64Array.from(x), output: y } };
      }
    }
    return undefined;
  };

  // Falsification once the root's bound has failed (proofs of the root cost less than an attack): cheap, and most
  // violated properties fall to it.
  let attacked = false;
  const attackOnce = (): Verdict | undefined => {
    if (attacked) return undefined;
    attacked = true;
    // At most a fifth of the remaining time goes to the attack (one step costs a forward and a backward pass).
    const attackDeadline = Date.now() + 0.2 * Math.max(0, deadline - Date.now());
    for (const conjunction of outputs) {
      const x = falsifyBox(network, box, conjunction, {
        restarts: options.attackRestarts ?? 40,
        steps: options.attackSteps ?? 40,
        random: () => random.next(),
        deadline: attackDeadline,
      });
      const found = x && tryPoint(x);
      if (found) return found;
    }
    return undefined;
  };
  const tryAfterRoot = (x: Float64Array): Verdict | undefined => tryPoint(x) ?? attackOnce();
  const branching = options.branching ?? 'auto';
  const useInput = branching === 'input' || (branching === 'auto' && network.inputSize <= 16);
  const verdict = useInput
    ? inputSplit(network, pcase, deadline, stats, tryAfterRoot, options.splitHeuristic ?? 'widest', random, options.alphaIterations ?? 0)
    : reluSplit(network, pcase, deadline, stats, tryAfterRoot, random);
  return { verdict, stats };
}

/** Does every pending disjunct have a row with a positive lower bound? */
function provesAll(lower: Float64Array, outputs: readonly OutputConjunction[], pending: readonly number[]): boolean {
  let r = 0;
  for (const d of pending) {
    const size = outputs[d].constraints.length;
    let proven = false;
    for (let k = r; k < r + size; k++) if (lower[k] > 0) proven = true;
    if (!proven) return false;
    r += size;
  }
  return true;
}

interface BoxItem {
  lower: Float64Array;
  upper: Float64Array;
  pending: number[];
  parent?: IntermediateBounds;
  /** The parent's worst open bound: the queue's key. */
  bound: number;
}

function inputSplit(
  network: ReluNetwork,
  pcase: PropertyCase,
  deadline: number,
  stats: BabStats,
  tryPoint: (x: Float64Array) => Verdict | undefined,
  heuristic: 'widest' | 'smear',
  random: { next(): number },
  alphaIterations: number,
): Verdict {
  const d = network.inputSize;
  const outputs = pcase.outputs;
  const queue = new MinHeap<BoxItem>();
  queue.push({ lower: Float64Array.from(pcase.box.lower), upper: Float64Array.from(pcase.box.upper), pending: outputs.map((_, i) => i), bound: -Infinity });
  const corner = new Float64Array(d);
  const center = new Float64Array(d);
  const score = new Float64Array(d);
  const spec = { alphaIterations };
  while (queue.size > 0) {
    if ((stats.domains & 7) === 0 && Date.now() > deadline) {
      return { status: 'timeout', reason: `input splitting: ${stats.domains} boxes bounded, ${queue.size} still open when the time ran out` };
    }
    const item = queue.pop()!;
    stats.domains++;
    const box = { lower: item.lower, upper: item.upper };
    const { rows, rhs, owner, count } = stackRows(outputs, item.pending, network.outputSize);
    let bounds: IntermediateBounds;
    let bound: ReturnType<typeof specLowerBounds>;
    if (item.parent) {
      // The enclosing box's intermediate bounds (∩ interval bounds) hold here too and cost nothing: try them first.
      bounds = computeIntermediateBounds(network, box, undefined, { intermediate: 'interval' }, item.parent);
      bound = specLowerBounds(network, box, bounds, rows, rhs, undefined, spec);
      if (!provesAll(bound.lower, outputs, item.pending)) {
        bounds = computeIntermediateBounds(network, box, undefined, {}, item.parent);
        bound = specLowerBounds(network, box, bounds, rows, rhs, undefined, spec);
      }
    } else {
      bounds = computeIntermediateBounds(network, box);
      bound = specLowerBounds(network, box, bounds, rows, rhs, undefined, spec);
    }
    // Per pending disjunct: its best row (largest lower bound); proven when that is > 0.
    const stillOpen: number[] = [];
    let worstOpen = Infinity;
    score.fill(0);
    let rowStart = 0;
    for (const disjunct of item.pending) {
      const size = outputs[disjunct].constraints.length;
      let best = -Infinity;
      let bestRow = rowStart;
      for (let r = rowStart; r < rowStart + size; r++) {
        if (bound.lower[r] > best) {
          best = bound.lower[r];
          bestRow = r;
        }
      }
      rowStart += size;
      if (best > 0) continue;
      stillOpen.push(disjunct);
      if (best < worstOpen) worstOpen = best;
      if (size === 0) {
        // An empty conjunction holds everywhere: any point is a counterexample.
        for (let t = 0; t < d; t++) center[t] = (box.lower[t] + box.upper[t]) / 2;
        const found = tryPoint(center);
        if (found) return found;
        continue;
      }
      // The corner minimising the best row's linear lower bound is the likeliest violation in this box.
      const off = bestRow * d;
      for (let t = 0; t < d; t++) {
        const a = bound.inputCoefficients[off + t];
        corner[t] = a > 0 ? box.lower[t] : box.upper[t];
        score[t] += Math.abs(a) * (box.upper[t] - box.lower[t]);
      }
      const found = tryPoint(corner);
      if (found) return found;
    }
    void owner;
    void count;
    if (stillOpen.length === 0) continue;
    for (let t = 0; t < d; t++) center[t] = (box.lower[t] + box.upper[t]) / 2;
    const foundCenter = tryPoint(center);
    if (foundCenter) return foundCenter;
    // A short PGD run on every 32nd open box finds violations the corners and centres miss.
    if ((stats.domains & 31) === 0) {
      for (const disjunct of stillOpen) {
        const x = falsifyBox(network, box, outputs[disjunct], { restarts: 2, steps: 15, random: () => random.next(), starts: [corner], deadline });
        const found = x && tryPoint(x);
        if (found) return found;
      }
    }
    // Split the widest dimension (measured best on ACAS Xu), or the most influential one (smear).
    let dim = 0;
    let bestScore = -1;
    for (let t = 0; t < d; t++) {
      if (score[t] > bestScore) {
        bestScore = score[t];
        dim = t;
      }
    }
    if (!(bestScore > 0) || heuristic === 'widest') {
      let widest = -1;
      for (let t = 0; t < d; t++) {
        const w = box.upper[t] - box.lower[t];
        if (w > widest) {
          widest = w;
          dim = t;
        }
      }
    }
    const mid = (box.lower[dim] + box.upper[dim]) / 2;
    if (!(mid > box.lower[dim] && mid < box.upper[dim])) {
      return { status: 'unknown', reason: `input splitting reached a box too small to split in X_${dim} without a proof or a counterexample` };
    }
    const leftUpper = Float64Array.from(box.upper);
    leftUpper[dim] = mid;
    const rightLower = Float64Array.from(box.lower);
    rightLower[dim] = mid;
    // Worst bound first: the likeliest place for a counterexample, and for unsat the order does not change the work.
    queue.push({ lower: box.lower, upper: leftUpper, pending: stillOpen, parent: bounds, bound: worstOpen });
    queue.push({ lower: rightLower, upper: box.upper, pending: stillOpen, parent: bounds, bound: worstOpen });
    if (queue.size > stats.maxOpen) stats.maxOpen = queue.size;
  }
  return { status: 'unsat' };
}

interface ReluDomain {
  splits: Int8Array[];
  /** The domain's input box (split further once every neuron is fixed). */
  lower: Float64Array;
  upper: Float64Array;
  bound: number;
  /** Bounds of the parent (inherited until recomputed). */
  parent?: IntermediateBounds;
}

/** Binary min-heap by `bound` (worst bound first). */
class MinHeap<T extends { bound: number }> {
  private readonly items: T[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].bound <= a[i].bound) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].bound < a[m].bound) m = l;
        if (r < a.length && a[r].bound < a[m].bound) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function reluSplit(
  network: ReluNetwork,
  pcase: PropertyCase,
  deadline: number,
  stats: BabStats,
  tryPoint: (x: Float64Array) => Verdict | undefined,
  random: { next(): number },
): Verdict {
  // Disjuncts are independent problems here: each needs its own subdomain tree.
  for (let disjunct = 0; disjunct < pcase.outputs.length; disjunct++) {
    const verdict = reluSplitOne(network, pcase, pcase.outputs[disjunct], deadline, stats, tryPoint, random);
    if (verdict.status !== 'unsat') return verdict;
  }
  return { status: 'unsat' };
}

function reluSplitOne(
  network: ReluNetwork,
  pcase: PropertyCase,
  conjunction: OutputConjunction,
  deadline: number,
  stats: BabStats,
  tryPoint: (x: Float64Array) => Verdict | undefined,
  random: { next(): number },
): Verdict {
  const d = network.inputSize;
  const box = pcase.box;
  const hidden = network.layers.slice(0, -1);
  const { rows, rhs } = stackRows([conjunction], [0], network.outputSize);
  const count = rhs.length;
  if (count === 0) {
    const centre = box.lower.map((l, t) => (l + box.upper[t]) / 2);
    return tryPoint(centre) ?? { status: 'unknown', reason: 'an empty output conjunction whose witness failed the check' };
  }
  const heap = new MinHeap<ReluDomain>();
  heap.push({ splits: hidden.map((l) => new Int8Array(l.outSize)), bound: -Infinity, lower: Float64Array.from(box.lower), upper: Float64Array.from(box.upper) });
  const corner = new Float64Array(d);
  let undecided = 0;
  while (heap.size > 0) {
    if (Date.now() > deadline) return { status: 'timeout', reason: `ReLU splitting: ${stats.domains} subdomains bounded, ${heap.size} still open when the time ran out` };
    const domain = heap.pop()!;
    stats.domains++;
    const box = { lower: domain.lower, upper: domain.upper };
    const bounds = computeIntermediateBounds(network, box, domain.splits);
    // Split constraints that contradict the bounds: no input of the box lies in this subdomain.
    if (bounds.infeasible) continue;
    const bound = specLowerBounds(network, box, bounds, rows, rhs, domain.splits);
    let best = -Infinity;
    let bestRow = 0;
    for (let r = 0; r < count; r++) {
      if (bound.lower[r] > best) {
        best = bound.lower[r];
        bestRow = r;
      }
    }
    if (best > 0) continue;
    // Candidate: the minimiser corner of the best row (it may lie outside the subdomain; the check decides).
    const off = bestRow * d;
    for (let t = 0; t < d; t++) corner[t] = bound.inputCoefficients[off + t] > 0 ? box.lower[t] : box.upper[t];
    const found = tryPoint(corner);
    if (found) return found;
    // Pick the unstable, unsplit neuron with the largest BaB-SR-like score.
    let bestLayer = -1;
    let bestNeuron = -1;
    let bestScore = -1;
    for (let k = 0; k < hidden.length; k++) {
      const lo = bounds.lower[k];
      const hi = bounds.upper[k];
      const coefficients = bound.layerCoefficients[k];
      const width = hidden[k].outSize;
      for (let j = 0; j < width; j++) {
        if (domain.splits[k][j] !== 0) continue;
        const l = lo[j];
        const u = hi[j];
        if (!(l < 0 && u > 0)) continue;
        const lambda = coefficients ? Math.abs(coefficients[bestRow * width + j]) : 1;
        const s = (lambda * u * -l) / (u - l) + 1e-12 * random.next();
        if (s > bestScore) {
          bestScore = s;
          bestLayer = k;
          bestNeuron = j;
        }
      }
    }
    if (bestLayer < 0) {
      // Every neuron is fixed: the bound is exact for the linear network on the box, but its minimiser may violate
      // the split constraints. Bisect the box (widest dimension): sub-boxes that leave the subdomain become
      // infeasible above, the rest converge to the true minimum.
      let dim = 0;
      for (let t = 1; t < d; t++) if (box.upper[t] - box.lower[t] > box.upper[dim] - box.lower[dim]) dim = t;
      const mid = (box.lower[dim] + box.upper[dim]) / 2;
      if (!(mid > box.lower[dim] && mid < box.upper[dim])) {
        undecided++;
        continue;
      }
      const leftUpper = Float64Array.from(box.upper);
      leftUpper[dim] = mid;
      const rightLower = Float64Array.from(box.lower);
      rightLower[dim] = mid;
      heap.push({ splits: domain.splits, bound: best, lower: box.lower, upper: leftUpper });
      heap.push({ splits: domain.splits, bound: best, lower: rightLower, upper: box.upper });
      continue;
    }
    for (const phase of [1, -1] as const) {
      const splits = domain.splits.map((s) => s.slice());
      splits[bestLayer][bestNeuron] = phase;
      heap.push({ splits, bound: best, lower: box.lower, upper: box.upper });
    }
    if (heap.size > stats.maxOpen) stats.maxOpen = heap.size;
  }
  if (undecided > 0) return { status: 'unknown', reason: `${undecided} fully split subdomains shrank to single points without a decision` };
  return { status: 'unsat' };
}
