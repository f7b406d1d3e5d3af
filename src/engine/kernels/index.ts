/**
 * Replacement kernels for tfjs-backend-wasm 4.22 (see docs/engine.md for the defects they fix and the measured
 * speed-ups). `registerWasmKernels()` swaps them into tfjs' kernel registry for the 'wasm' backend; it must run
 * after `@tensorflow/tfjs-backend-wasm` is imported (which registers the stock kernels) and is called by
 * `setupBackend()` before `tf.setBackend('wasm')`. Registering is idempotent. Stock kernels that a replacement
 * still calls (BatchMatMul, Sum, Mean) are kept aside, and their `setupFunc` (which binds the wasm functions)
 * runs from the replacement's own `setupFunc`, because tfjs only sets up kernels that are registered.
 *
 * | kernel | stock wasm problem | replacement |
 * |---|---|---|
 * | Conv2DBackpropInput | naive loop, slow | Conv2D of dilated, padded dy with the flipped, transposed filter |
 * | Conv2DBackpropFilter | missing (CNN training throws) | Conv2D of xᵀ with dyᵀ, dilation = stride |
 * | MaxPoolGrad | slow; wrong for windows ≤ FLT_MIN; last max on ties | JS loop, −∞ start, first max wins |
 * | BatchMatMul (transposed) | naive path, ≈8× slower | explicit Transpose + stock matmul |
 * | Sum / Mean over leading axes | full transpose first | one JS pass with float64 accumulators |
 */
import { tf } from '../tf.js';
import { conv2DBackpropFilter, makeConv2DBackpropInput } from './conv2d-backprop.js';
import { makeBatchMatMul, makeLeadingAxesReduction } from './matmul-sum.js';
import { maxPoolGrad } from './pooling.js';
import { type StockKernelConfig, type WasmKernelFunc, registeredWasmKernel } from './wasm-backend.js';

/** Names of the kernels this module replaces or adds for the 'wasm' backend. */
export const replacedWasmKernels = [
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'MaxPoolGrad',
  'BatchMatMul',
  'Sum',
  'Mean',
] as const;

let registered = false;

function stockOrUndefined(kernelName: string): StockKernelConfig | undefined {
  return tf.getKernel(kernelName, 'wasm') as unknown as StockKernelConfig | undefined;
}

interface Replacement {
  kernelName: string;
  kernelFunc: WasmKernelFunc;
  /** Stock kernels whose wasm bindings the replacement relies on. */
  stockSetups: StockKernelConfig[];
}

function replace({ kernelName, kernelFunc, stockSetups }: Replacement): void {
  if (stockOrUndefined(kernelName) !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  const setups = stockSetups.filter((config) => config.setupFunc !== undefined);
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    setupFunc:
      setups.length === 0
        ? undefined
        : (backend) => {
            for (const config of setups) (config.setupFunc as (b: unknown) => void)(backend);
          },
  });
}

/** Registers the replacement kernels for 'wasm' (idempotent). Requires tfjs-backend-wasm to be imported. */
export function registerWasmKernels(): void {
  if (registered) return;
  const stockBatchMatMul = registeredWasmKernel('BatchMatMul');
  const stockSum = registeredWasmKernel('Sum');
  const stockMean = registeredWasmKernel('Mean');
  const stockBackpropInput = stockOrUndefined('Conv2DBackpropInput');
  registered = true;

  const replacements: Replacement[] = [
    {
      kernelName: 'Conv2DBackpropInput',
      kernelFunc: makeConv2DBackpropInput(stockBackpropInput) as WasmKernelFunc,
      stockSetups: stockBackpropInput ? [stockBackpropInput] : [],
    },
    { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter, stockSetups: [] },
    { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad, stockSetups: [] },
    { kernelName: 'BatchMatMul', kernelFunc: makeBatchMatMul(stockBatchMatMul), stockSetups: [stockBatchMatMul] },
    { kernelName: 'Sum', kernelFunc: makeLeadingAxesReduction(stockSum, 'sum'), stockSetups: [stockSum] },
    { kernelName: 'Mean', kernelFunc: makeLeadingAxesReduction(stockMean, 'mean'), stockSetups: [stockMean] },
  ];
  for (const replacement of replacements) replace(replacement);

  // tfjs runs setupFuncs on setBackend; if wasm is already the active backend, bind the stock functions now.
  const activeWasm = tf.engine().backendName === 'wasm' ? tf.findBackend('wasm') : null;
  if (activeWasm != null) {
    for (const { kernelName } of replacements) tf.getKernel(kernelName, 'wasm')?.setupFunc?.(activeWasm);
  }
}
