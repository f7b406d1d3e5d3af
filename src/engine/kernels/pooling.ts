/**
 * Pooling gradients for tfjs-backend-wasm.
 *
 * `MaxPoolGrad`: the stock wasm kernel starts its running maximum at FLT_MIN (the smallest positive float)
 * instead of −∞, so windows whose values are all ≤ 1.2e-38 — every all-zero ReLU window, every negative input —
 * get no gradient at all, and ties go to the last maximum. This replacement is a JS loop over the wasm heap
 * with the semantics of tfjs-backend-cpu (and PyTorch): running maximum from −∞, strict `>` so the first
 * maximum in row-major window order wins, out-of-bounds (padding) positions skipped, NaN/−∞ windows get no
 * gradient. Channels are innermost (NHWC), so each window visit scans C contiguous floats.
 */
import { tf } from '../tf.js';
import { type Attrs, type KernelInputs, type TensorInfo, type WasmBackend, heapFloat32 } from './wasm-backend.js';

interface PoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGrad(args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as PoolGradAttrs;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const dx = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation: makeOutput may grow (and so detach) the heap.
  const xValues = heapFloat32(backend, input);
  const dyValues = heapFloat32(backend, dy);
  const dxValues = heapFloat32(backend, dx);
  dxValues.fill(0);

  const channels = inChannels;
  const best = new Float32Array(channels);
  const bestIndex = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const rowCorner = yR * strideHeight - padTop;
      let rowMin = rowCorner;
      while (rowMin < 0) rowMin += dilationHeight;
      const rowMax = Math.min(inHeight, rowCorner + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const colCorner = yC * strideWidth - padLeft;
        let colMin = colCorner;
        while (colMin < 0) colMin += dilationWidth;
        const colMax = Math.min(inWidth, colCorner + effectiveFilterWidth);
        best.fill(-Infinity);
        bestIndex.fill(-1);
        for (let xR = rowMin; xR < rowMax; xR += dilationHeight) {
          for (let xC = colMin; xC < colMax; xC += dilationWidth) {
            const base = ((b * inHeight + xR) * inWidth + xC) * channels;
            for (let d = 0; d < channels; d++) {
              const value = xValues[base + d];
              if (value > best[d]) {
                best[d] = value;
                bestIndex[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          const target = bestIndex[d];
          if (target >= 0) dxValues[target] += dyValues[dyBase + d];
        }
      }
    }
  }
  return dx;
}
