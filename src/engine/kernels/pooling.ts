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
  const windowsOverlap = strideHeight < effectiveFilterHeight || strideWidth < effectiveFilterWidth;
  // Offsets (in elements) of the in-bounds positions of the current window, row-major: first max wins.
  const windowOffsets = new Int32Array(
    Math.ceil(effectiveFilterHeight / dilationHeight) * Math.ceil(effectiveFilterWidth / dilationWidth),
  );
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
        let positions = 0;
        for (let xR = rowMin; xR < rowMax; xR += dilationHeight) {
          for (let xC = colMin; xC < colMax; xC += dilationWidth) {
            windowOffsets[positions++] = ((b * inHeight + xR) * inWidth + xC) * channels;
          }
        }
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * channels;
        if (!windowsOverlap) {
          // Each input belongs to at most one window: pick the winner per channel with scalars, assign directly.
          for (let d = 0; d < channels; d++) {
            let bestValue = -Infinity;
            let winner = -1;
            for (let k = 0; k < positions; k++) {
              const value = xValues[windowOffsets[k] + d];
              if (value > bestValue) {
                bestValue = value;
                winner = windowOffsets[k] + d;
              }
            }
            if (winner >= 0) dxValues[winner] = dyValues[dyBase + d];
          }
          continue;
        }
        // Overlapping windows: scan positions in the outer loop (contiguous channels), accumulate into dx.
        best.fill(-Infinity);
        bestIndex.fill(-1);
        for (let k = 0; k < positions; k++) {
          const base = windowOffsets[k];
          for (let d = 0; d < channels; d++) {
            const value = xValues[base + d];
            if (value > best[d]) {
              best[d] = value;
              bestIndex[d] = base + d;
            }
          }
        }
        for (let d = 0; d < channels; d++) {
          const target = bestIndex[d];
          if (target >= 0) dxValues[target] += dyValues[dyBase + d];
        }
      }
    }
  }
  return dx;
}
