/**
 * Binary logistic regression in plain Float64 for the binarization test's readout: features are standardised,
 * classes weighted to balance (one boundary point against a hundred inner points), a small L2 penalty, full-batch
 * Adam until every training point is on its side of the boundary (or the iteration budget runs out). The weights
 * are returned in the original feature units: margin(f) = w·f + b, positive = class 1.
 *
 * Deterministic: it starts from zero weights and uses no random choice.
 *
 * @example
 * const fit = fitLogisticRegression(features, labels, dim, {});
 * fit.separated; // true when every point with label 1 has margin > 0 and every other one margin < 0
 */
export interface LogisticFitOptions {
  /** Maximum Adam iterations. */
  maxIterations?: number;
  learningRate?: number;
  /** L2 penalty on the (standardised) weights. */
  l2?: number;
}

export interface LogisticFit {
  weights: Float64Array;
  bias: number;
  separated: boolean;
  iterations: number;
  /** Margins w·f + b of the training points. */
  margins: Float64Array;
}

/** Margins w·f + b of row-major features [n, dim]. */
export function logisticMargins(features: ArrayLike<number>, dim: number, weights: ArrayLike<number>, bias: number): Float64Array {
  const n = features.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = bias;
    for (let j = 0; j < dim; j++) s += features[i * dim + j] * weights[j];
    out[i] = s;
  }
  return out;
}

function separates(margins: Float64Array, labels: ArrayLike<number>, minMargin = 0): boolean {
  for (let i = 0; i < margins.length; i++) if (labels[i] === 1 ? !(margins[i] > minMargin) : !(margins[i] < -minMargin)) return false;
  return true;
}

export function fitLogisticRegression(features: ArrayLike<number>, labels: ArrayLike<number>, dim: number, options: LogisticFitOptions = {}): LogisticFit {
  const n = labels.length;
  const maxIterations = options.maxIterations ?? 3000;
  const lr = options.learningRate ?? 0.05;
  const l2 = options.l2 ?? 1e-4;
  // standardise so one learning rate suits every feature scale
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) scale[j] += (features[i * dim + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < dim; j++) scale[j] = scale[j] > 1e-24 ? Math.sqrt(scale[j]) : 1;
  const z = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) z[i * dim + j] = (features[i * dim + j] - mean[j]) / scale[j];
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const weightOf = (label: number) => (label === 1 ? n / (2 * Math.max(positives, 1)) : n / (2 * Math.max(n - positives, 1)));
  const sampleWeight = Float64Array.from({ length: n }, (_, i) => weightOf(labels[i]) / n);

  const w = new Float64Array(dim + 1); // last entry: bias
  const m1 = new Float64Array(dim + 1);
  const m2 = new Float64Array(dim + 1);
  const grad = new Float64Array(dim + 1);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let iterations = 0;
  const margins = new Float64Array(n);
  const computeMargins = () => {
    for (let i = 0; i < n; i++) {
      let s = w[dim];
      for (let j = 0; j < dim; j++) s += z[i * dim + j] * w[j];
      margins[i] = s;
    }
  };
  for (let t = 1; t <= maxIterations; t++) {
    iterations = t;
    computeMargins();
    // a little margin, so float32 evaluation of the same readout agrees on every side
    if (t > 1 && separates(margins, labels, 0.5)) break;
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margins[i]));
      const r = (p - (labels[i] === 1 ? 1 : 0)) * sampleWeight[i];
      for (let j = 0; j < dim; j++) grad[j] += r * z[i * dim + j];
      grad[dim] += r;
    }
    for (let j = 0; j < dim; j++) grad[j] += l2 * w[j];
    for (let j = 0; j <= dim; j++) {
      m1[j] = beta1 * m1[j] + (1 - beta1) * grad[j];
      m2[j] = beta2 * m2[j] + (1 - beta2) * grad[j] * grad[j];
      const mh = m1[j] / (1 - beta1 ** t);
      const vh = m2[j] / (1 - beta2 ** t);
      w[j] -= (lr * mh) / (Math.sqrt(vh) + 1e-12);
    }
  }
  // back to original units: w·(f − μ)/σ + b = (w/σ)·f + (b − Σ w μ/σ)
  const weights = new Float64Array(dim);
  let bias = w[dim];
  for (let j = 0; j < dim; j++) {
    weights[j] = w[j] / scale[j];
    bias -= (w[j] * mean[j]) / scale[j];
  }
  const final = logisticMargins(features, dim, weights, bias);
  return { weights, bias, separated: separates(final, labels), iterations, margins: final };
}
