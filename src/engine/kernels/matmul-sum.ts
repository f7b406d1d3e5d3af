/**
 * Dense-layer gradient kernels for tfjs-backend-wasm.
 *
 * - `BatchMatMul` with `transposeA`/`transposeB` (every dense-layer gradient: dX = dY·Wᵀ, dW = Xᵀ·dY) takes a
 *   naive path in stock wasm, ≈8× slower than the XNNPACK path it uses without transposes. The replacement
 *   makes the transposes explicit (wasm Transpose of the last two axes) and runs the stock kernel with none.
 * - `Sum` and `Mean` over leading axes (bias gradients, batch-norm moments: [N,H,W,C] reduced over N,H,W) make
 *   stock wasm transpose the whole tensor first. The replacement sums rows of the [M, inner] view in one JS pass
 *   with float64 accumulators (same order as tfjs-backend-cpu, more accurate than float32). Every other
 *   reduction goes to the stock kernel.
 */
import { tf } from '../tf.js';
import {
  type Attrs,
  type KernelInputs,
  type StockKernelConfig,
  type TensorInfo,
  type WasmBackend,
  heapFloat32,
  release,
  runKernelConfig,
  transpose,
} from './wasm-backend.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function makeBatchMatMul(stock: StockKernelConfig) {
  return function batchMatMul(args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if ((!transposeA && !transposeB) || inputs.a.dtype !== 'float32' || inputs.b.dtype !== 'float32') {
      return runKernelConfig(stock, backend, inputs, attrs);
    }
    const a = transposeA ? transpose(backend, inputs.a, swapLastTwo(inputs.a.shape.length)) : inputs.a;
    const b = transposeB ? transpose(backend, inputs.b, swapLastTwo(inputs.b.shape.length)) : inputs.b;
    const out = runKernelConfig(stock, backend, { a, b }, { ...attrs, transposeA: false, transposeB: false });
    if (a !== inputs.a) release(backend, a);
    if (b !== inputs.b) release(backend, b);
    return out;
  };
}

/** Number of leading axes reduced, when `axis` is exactly {0, …, k−1} with 0 < k < rank; otherwise 0. */
function leadingAxesCount(axis: unknown, shape: number[]): number {
  const axes = tf.util.parseAxisParam(axis as number | number[], shape).slice().sort((p, q) => p - q);
  const distinct = axes.filter((value, i) => i === 0 || axes[i - 1] !== value);
  const isLeadingPrefix = distinct.every((value, i) => value === i);
  if (!isLeadingPrefix || distinct.length === 0 || distinct.length >= shape.length) return 0;
  return distinct.length;
}

function reduceLeadingAxes(
  backend: WasmBackend,
  x: TensorInfo,
  reducedCount: number,
  keepDims: boolean,
  divideByCount: boolean,
): TensorInfo {
  const rows = x.shape.slice(0, reducedCount).reduce((p, q) => p * q, 1);
  const innerShape = x.shape.slice(reducedCount);
  const inner = innerShape.reduce((p, q) => p * q, 1);
  const outShape = keepDims ? [...x.shape.slice(0, reducedCount).map(() => 1), ...innerShape] : innerShape;
  const out = backend.makeOutput(outShape, 'float32');
  const xValues = heapFloat32(backend, x);
  const outValues = heapFloat32(backend, out);
  const totals = new Float64Array(inner);
  for (let row = 0; row < rows; row++) {
    const base = row * inner;
    for (let i = 0; i < inner; i++) totals[i] += xValues[base + i];
  }
  const divisor = divideByCount ? rows : 1;
  for (let i = 0; i < inner; i++) outValues[i] = totals[i] / divisor;
  return out;
}

/** Builds a Sum or Mean replacement over leading axes; the rest goes to `stock`. */
export function makeLeadingAxesReduction(stock: StockKernelConfig, kind: 'sum' | 'mean') {
  return function reduce(args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    const reducedCount = x.dtype === 'float32' ? leadingAxesCount(attrs.axis, x.shape) : 0;
    const size = x.shape.reduce((p, q) => p * q, 1);
    if (reducedCount === 0 || size === 0) return runKernelConfig(stock, backend, inputs, attrs);
    return reduceLeadingAxes(backend, x, reducedCount, attrs.keepDims === true, kind === 'mean');
  };
}
