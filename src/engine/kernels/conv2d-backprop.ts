/**
 * Conv2D gradients for tfjs-backend-wasm, built from the fast XNNPACK Conv2D kernel.
 *
 * - `Conv2DBackpropInput` (stock: a naive single-threaded loop, ≈6× slower): dx = Conv2D of the upstream
 *   gradient, zero-dilated by the stride and padded by (k − 1 − pad), with the filter flipped spatially and its
 *   in/out channels swapped. Bit-identical to the stock kernel on the shapes measured in docs/engine.md.
 * - `Conv2DBackpropFilter` (stock: missing, so training any CNN throws): dW[kh,kw,c,o] = Σ x[n, i·s + kh − pad,
 *   j·s + kw − pad, c] · dy[n,i,j,o], which is a Conv2D over x laid out [C,H,W,N] (batch ↔ channels) with
 *   dy laid out [oh,ow,N,O] as the filter and dilation = stride; rows/columns that stride leaves unused are
 *   cropped afterwards.
 *
 * Both handle NHWC and NCHW (NCHW is transposed to NHWC around the fast path), strides ≥ 1, 'valid', 'same'
 * and explicit paddings, any rounding mode. The only case not on the fast path (explicit padding larger than
 * the filter for the input gradient) falls back to the stock kernel, which is slow but correct.
 */
import { tf } from '../tf.js';
import {
  type KernelInputs,
  type StockKernelConfig,
  type TensorInfo,
  type WasmBackend,
  type Attrs,
  release,
  reshape,
  runKernelConfig,
  runWasmKernel,
  transpose,
} from './wasm-backend.js';

type DataFormat = 'NHWC' | 'NCHW';
type PadAttr = 'valid' | 'same' | number | number[][];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: DataFormat;
  dimRoundingMode?: Rounding;
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

function toNhwcShape(shape: number[], dataFormat: DataFormat): [number, number, number, number] {
  const [a, b, c, d] = shape;
  return dataFormat === 'NCHW' ? [a, c, d, b] : [a, b, c, d];
}

/** Explicit paddings are given per dimension in the tensor's own layout; re-express them for NHWC. */
function toNhwcPad(pad: PadAttr, dataFormat: DataFormat): PadAttr {
  if (!Array.isArray(pad) || dataFormat === 'NHWC') return pad;
  return NCHW_TO_NHWC.map((axis) => pad[axis]);
}

function conv2dInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
  dataFormat: DataFormat,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    toNhwcPad(attrs.pad, dataFormat) as never,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Runs the wasm Conv2D kernel with explicit paddings (all ≥ 0). */
function conv2dExplicit(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  padding: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): TensorInfo {
  return runWasmKernel(
    'Conv2D',
    backend,
    { x, filter },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [padding.top, padding.bottom],
        [padding.left, padding.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations,
      dimRoundingMode: undefined,
    },
  );
}

/** Keeps rows [0, height) and columns [0, width) of an NHWC tensor (a no-op copy is avoided). */
function cropTopLeft(backend: WasmBackend, x: TensorInfo, height: number, width: number): TensorInfo {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  const cropped = runWasmKernel('Slice', backend, { x }, { begin: [0, 0, 0, 0], size: [x.shape[0], height, width, x.shape[3]] });
  release(backend, x);
  return cropped;
}

/** Inserts (stride − 1) zeros after every row/column of an NHWC tensor: [N,H,W,C] → [N,H·sh,W·sw,C]. */
function zeroDilate(backend: WasmBackend, x: TensorInfo, strideHeight: number, strideWidth: number): TensorInfo {
  const [n, h, w, c] = x.shape;
  const expanded = reshape(backend, x, [n, h, 1, w, 1, c]);
  const padded = runWasmKernel(
    'PadV2',
    backend,
    { x: expanded },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  release(backend, expanded);
  const dilated = reshape(backend, padded, [n, h * strideHeight, w * strideWidth, c]);
  release(backend, padded);
  return dilated;
}

/** Builds the Conv2DBackpropInput replacement; `stock` is kept for the one unsupported padding case. */
export function makeConv2DBackpropInput(stock: StockKernelConfig | undefined) {
  return function conv2DBackpropInput(args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }): TensorInfo {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: number[] };
    const dataFormat: DataFormat = attrs.dataFormat ?? 'NHWC';
    const { dy, filter } = inputs;
    const xShape = toNhwcShape(attrs.inputShape, dataFormat);
    const info = conv2dInfo(xShape, filter.shape as [number, number, number, number], attrs, dataFormat);
    const { filterHeight, filterWidth, strideHeight, strideWidth, inHeight, inWidth } = info;
    const padTop = filterHeight - 1 - info.padInfo.top;
    const padLeft = filterWidth - 1 - info.padInfo.left;
    if ((padTop < 0 || padLeft < 0) && stock !== undefined) {
      return runKernelConfig(stock, backend, inputs, args.attrs);
    }
    if (padTop < 0 || padLeft < 0) {
      throw new Error(`Conv2DBackpropInput: padding ${JSON.stringify(attrs.pad)} larger than the filter is unsupported.`);
    }

    const dyNhwc = dataFormat === 'NCHW' ? transpose(backend, dy, NCHW_TO_NHWC) : dy;
    const dilated = strideHeight > 1 || strideWidth > 1 ? zeroDilate(backend, dyNhwc, strideHeight, strideWidth) : dyNhwc;
    // Rows of `dilated` beyond (outHeight − 1)·stride + 1 are zeros, so they count towards the bottom padding.
    const padBottom = inHeight + filterHeight - 1 - padTop - dilated.shape[1];
    const padRight = inWidth + filterWidth - 1 - padLeft - dilated.shape[2];

    const flipped = runWasmKernel('Reverse', backend, { x: filter }, { dims: [0, 1] });
    const swapped = transpose(backend, flipped, [0, 1, 3, 2]);
    release(backend, flipped);
    const full = conv2dExplicit(
      backend,
      dilated,
      swapped,
      { top: padTop, bottom: Math.max(0, padBottom), left: padLeft, right: Math.max(0, padRight) },
      [1, 1],
    );
    release(backend, swapped);
    if (dilated !== dyNhwc) release(backend, dilated);
    if (dyNhwc !== dy) release(backend, dyNhwc);
    const dx = cropTopLeft(backend, full, inHeight, inWidth);
    if (dataFormat === 'NHWC') return dx;
    const dxNchw = transpose(backend, dx, NHWC_TO_NCHW);
    release(backend, dx);
    return dxNchw;
  };
}

/** The Conv2DBackpropFilter kernel (stock wasm has none). */
export function conv2DBackpropFilter(args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: number[] };
  const dataFormat: DataFormat = attrs.dataFormat ?? 'NHWC';
  const filterShape = attrs.filterShape as [number, number, number, number];
  const xInput = inputs.x;
  const dyInput = inputs.dy;
  const xShape = toNhwcShape(xInput.shape, dataFormat);
  const info = conv2dInfo(xShape, filterShape, attrs, dataFormat);
  const { filterHeight, filterWidth, strideHeight, strideWidth, inHeight, inWidth, outHeight, outWidth } = info;

  // x: [N,H,W,C] → [C,H,W,N]; dy: [N,oh,ow,O] → [oh,ow,N,O].
  const xPerm = dataFormat === 'NCHW' ? [1, 2, 3, 0] : [3, 1, 2, 0];
  const dyPerm = dataFormat === 'NCHW' ? [2, 3, 0, 1] : [1, 2, 0, 3];
  const xT = transpose(backend, xInput, xPerm);
  const dyT = transpose(backend, dyInput, dyPerm);
  // Output rows = H + top + bottom − ((oh − 1)·sh + 1) + 1 must reach filterHeight; extra rows are cropped.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - info.padInfo.top;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - info.padInfo.left;
  const full = conv2dExplicit(
    backend,
    xT,
    dyT,
    {
      top: info.padInfo.top,
      bottom: Math.max(0, padBottom),
      left: info.padInfo.left,
      right: Math.max(0, padRight),
    },
    [strideHeight, strideWidth],
  );
  release(backend, xT, dyT);
  // full: [C, kh, kw, O] → crop → [kh, kw, C, O].
  const cropped = cropTopLeft(backend, full, filterHeight, filterWidth);
  const dw = transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dw;
}
