/**
 * Backward rules for the neural-network ONNX ops.
 * - Gemm/MatMul: products with transposed operands (Gemm's trans flags, so no Transpose is materialised).
 * - Conv: input gradient by ConvTranspose with the same weights (output_padding recovers the exact input size);
 *   weight gradient by a Conv of the input (channels as batch) with the output gradient as the filter
 *   (dilation = stride, stride = dilation); bias gradient by a sum.
 * - MaxPool: flat indices of each window's first maximum (PyTorch's and tfjs-cpu's tie rule) and MaxUnpool
 *   (windows that do not overlap) or ScatterElements with add (overlapping windows). Square windows that tile
 *   the input get their indices from SpaceToDepth + ArgMax (≈ 3× cheaper); other pools from the forward node's
 *   Indices output (ONNX Runtime's MaxPool-with-Indices kernel, whose indices also take the first maximum).
 * - AveragePool: ConvTranspose of the (count-normalised) gradient with a ones kernel, one channel at a time.
 * - GlobalAveragePool/GlobalMaxPool, BatchNormalization (inference), Softmax/LogSoftmax, ReduceMean/ReduceSum.
 */
import { defineBackwardRule, reduceToOperand, type BackwardContext } from '../registry.js';
import { OnnxDataType } from '../../onnx/proto.js';

export const gemmRule = defineBackwardRule({
  opType: 'Gemm',
  parameterInputs: [1, 2],
  backward(c) {
    const g = c.grad(0);
    if (!g) return;
    const e = c.emit;
    const transA = c.attributes.int('transA', 0);
    const transB = c.attributes.int('transB', 0);
    const alpha = c.attributes.float('alpha', 1);
    const beta = c.attributes.float('beta', 1);
    const a = c.input(0);
    const b = c.input(1);
    const attrs = (ta: number, tb: number) => ({ transA: { int: ta }, transB: { int: tb }, alpha: { float: alpha } });
    if (c.needsGrad(0)) {
      // A' = op(A): dA' = α G op(B)ᵀ; when transA, dA = (dA')ᵀ = α op(B) Gᵀ.
      c.addGrad(0, transA ? e.node('Gemm', [b, g], attrs(transB, 1)) : e.node('Gemm', [g, b], attrs(0, transB ? 0 : 1)));
    }
    if (c.needsGrad(1)) {
      // dB' = α op(A)ᵀ G; when transB, dB = α Gᵀ op(A).
      c.addGrad(1, transB ? e.node('Gemm', [g, a], attrs(1, transA)) : e.node('Gemm', [a, g], attrs(transA ? 0 : 1, 0)));
    }
    if (c.input(2) && c.needsGrad(2)) c.addGrad(2, reduceToOperand(c, e.scale(g, beta), c.input(2), c.output(0)));
  },
});

export const matMulRule = defineBackwardRule({
  opType: 'MatMul',
  parameterInputs: [0, 1],
  backward(c) {
    const g = c.grad(0);
    if (!g) return;
    const e = c.emit;
    const a = c.input(0);
    const b = c.input(1);
    const ra = c.facts(a).dims.length;
    const rb = c.facts(b).dims.length;
    if (ra < 2 || rb < 2) throw c.unsupported('MatMul with a 1-D operand is not supported');
    const swapLast = (rank: number): number[] => {
      const perm = Array.from({ length: rank }, (_, i) => i);
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      return perm;
    };
    if (ra === 2 && rb === 2) {
      if (c.needsGrad(0)) c.addGrad(0, e.node('Gemm', [g, b], { transB: { int: 1 } }));
      if (c.needsGrad(1)) c.addGrad(1, e.node('Gemm', [a, g], { transA: { int: 1 } }));
      return;
    }
    if (rb === 2) {
      // [..., M, K] × [K, N]: dA = G Bᵀ (broadcast over the leading axes); dB = Σ Aᵀ G over all rows.
      if (c.needsGrad(0)) c.addGrad(0, e.node('MatMul', [g, e.transpose(b, [1, 0])]));
      if (c.needsGrad(1)) {
        const k = c.facts(a).dims[ra - 1];
        const n = c.facts(c.output(0)).dims[ra - 1];
        const rows = (name: string, width: number) => e.reshape(name, e.int64([-1, width]));
        c.addGrad(1, e.node('Gemm', [rows(a, k), rows(g, n)], { transA: { int: 1 } }));
      }
      return;
    }
    if (c.needsGrad(0)) c.addGrad(0, reduceToOperand(c, e.node('MatMul', [g, e.transpose(b, swapLast(rb))]), a, c.output(0)));
    if (c.needsGrad(1)) c.addGrad(1, reduceToOperand(c, e.node('MatMul', [e.transpose(a, swapLast(ra)), g]), b, c.output(0)));
  },
});

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begin pads then end pads, ONNX order */
  pads: number[];
}

/** Kernel, strides, dilations and explicit pads of a Conv/pool node (auto_pad resolved statically). */
function windowOf(c: BackwardContext, spatial: number[], kernelFromWeights?: number[]): Window {
  const r = spatial.length;
  const kernel = c.attributes.ints('kernel_shape') ?? kernelFromWeights;
  if (!kernel || kernel.length !== r) throw c.unsupported('the kernel shape is missing or does not match the input rank');
  const strides = c.attributes.ints('strides') ?? new Array<number>(r).fill(1);
  const dilations = c.attributes.ints('dilations') ?? new Array<number>(r).fill(1);
  const autoPad = c.attributes.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    for (let i = 0; i < r; i++) {
      const out = Math.ceil(spatial[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(autoPad === 'SAME_UPPER' ? total - small : small);
    }
    pads = [...begin, ...end];
  } else if (autoPad === 'VALID') {
    pads = new Array<number>(2 * r).fill(0);
  } else {
    pads = c.attributes.ints('pads') ?? new Array<number>(2 * r).fill(0);
  }
  return { kernel, strides, dilations, pads };
}

/** output_padding so ConvTranspose of an [o] gradient gives back exactly [spatial]. */
function outputPadding(c: BackwardContext, w: Window, spatial: number[], out: number[], padsEnd?: number[]): number[] {
  return spatial.map((size, i) => {
    const end = padsEnd ? padsEnd[i] : w.pads[i + spatial.length];
    const produced = w.strides[i] * (out[i] - 1) + (w.kernel[i] - 1) * w.dilations[i] + 1 - w.pads[i] - end;
    const extra = size - produced;
    if (extra < 0 || extra >= Math.max(w.strides[i], w.dilations[i])) {
      throw c.unsupported(`cannot express the input gradient as a ConvTranspose (output padding ${extra})`);
    }
    return extra;
  });
}

/**
 * The Conv rule. Weight gradients: `'auto'` (the default rule) uses one GEMM per kernel offset where that pays
 * (see {@link shiftedGemmWeightGradient}) and the Conv-with-the-gradient-as-filter form elsewhere; `'conv'` always
 * uses the Conv form (the reference the GEMM form is tested against).
 */
export function convRuleWith(weightGradient: 'auto' | 'conv') {
  return defineBackwardRule({
    opType: 'Conv',
    parameterInputs: [1, 2],
    backward(c) {
      const g = c.grad(0);
      if (!g) return;
      const e = c.emit;
      const x = c.input(0);
      const weights = c.input(1);
      const xDims = c.facts(x).dims;
      const wDims = c.facts(weights).dims;
      const outDims = c.facts(c.output(0)).dims;
      const spatial = xDims.slice(2);
      const r = spatial.length;
      const w = windowOf(c, spatial, wDims.slice(2));
      const group = c.attributes.int('group', 1);
      if (c.needsGrad(0)) {
        const padding = outputPadding(c, w, spatial, outDims.slice(2));
        c.addGrad(
          0,
          e.node('ConvTranspose', [g, weights], {
            kernel_shape: { ints: w.kernel },
            strides: { ints: w.strides },
            dilations: { ints: w.dilations },
            pads: { ints: w.pads },
            group: { int: group },
            output_padding: { ints: padding },
          }),
        );
      }
      if (c.needsGrad(1)) {
        if (group !== 1) throw c.unsupported('weight gradients of grouped convolutions are not supported');
        const shifted = weightGradient === 'auto' ? shiftedGemmWeightGradient(c, w, x, g, xDims, wDims, outDims) : undefined;
        if (shifted) {
          c.addGrad(1, shifted);
          return addBiasGradient(c, g, r);
        }
        const perm = [1, 0, ...Array.from({ length: r }, (_, i) => i + 2)];
        const xT = e.transpose(x, perm); // [C, N, ...spatial]
        const gT = e.transpose(g, perm); // [O, N, ...out]
        const full = e.node('Conv', [xT, gT], {
          strides: { ints: w.dilations },
          dilations: { ints: w.strides },
          pads: { ints: w.pads },
        }); // [C, O, ...k'] with k' ≥ kernel
        const reach = spatial.map((size, i) => Math.floor((size + w.pads[i] + w.pads[i + r] - (w.strides[i] * (outDims[i + 2] - 1) + 1)) / w.dilations[i]) + 1);
        const cropped = reach.some((k, i) => k !== w.kernel[i])
          ? e.slice(full, new Array<number>(r).fill(0), w.kernel, Array.from({ length: r }, (_, i) => i + 2))
          : full;
        c.addGrad(1, e.transpose(cropped, perm));
      }
      addBiasGradient(c, g, r);
    },
  });
}

export const convRule = convRuleWith('auto');
/** Conv with weight gradients always in the Conv-with-the-gradient-as-filter form. */
export const convFilterRule = convRuleWith('conv');

function addBiasGradient(c: BackwardContext, g: string, r: number): void {
  if (!c.input(2) || !c.needsGrad(2)) return;
  // A gradient routed by MaxUnpool (disjoint pool windows: every pooled value lands in its own cell, the rest is
  // zero) has the same per-channel sums as the pooled gradient it came from: sum that, k² times fewer elements.
  const producer = c.emit.nodes.find((n) => n.output[0] === g);
  const source = producer?.opType === 'MaxUnpool' ? producer.input[0] : g;
  c.addGrad(2, c.emit.reduceSum(source, [0, ...Array.from({ length: r }, (_, i) => i + 2)], false));
}

/**
 * 2-D weight gradient as GEMMs over the kernel offsets' input windows (X_ij = the input at offset (i, j), a
 * strided Slice), up to 25 offsets. From 16 input channels: one GEMM per offset, dW[:, :, i, j] = G·X_ijᵀ with G
 * the output gradient laid out [O, N·H'·W'] and X_ij as [C, N·H'·W'] — long inner dimension, C-wide output —
 * where the Conv-with-the-gradient-as-filter form runs a GEMM only kh·kw columns wide after a huge im2col (≈ 1.8×
 * slower on the reference CNN's 32→64 conv). Below 16 channels (first layers) those GEMMs are too thin; the
 * windows are stacked instead into per-sample columns [N, H'·W', C·kh·kw] and one batched MatMul with the
 * untransposed gradient [N, O, H'·W'] is summed over the batch (≈ 1.5× faster than the Conv form for 1→32, 3×3).
 */
function shiftedGemmWeightGradient(c: BackwardContext, w: Window, x: string, g: string, xDims: number[], wDims: number[], outDims: number[]): string | undefined {
  if (xDims.length !== 4 || w.kernel[0] * w.kernel[1] > 25) return undefined;
  const e = c.emit;
  const [o, ch, kh, kw] = wDims;
  const [ho, wo] = outDims.slice(2);
  // Per-sample columns of few-channel inputs: ≤ 64k values per sample (64 MB at batch 256), else the Conv form.
  if (ch < 16 && ch * kh * kw * ho * wo > 65536) return undefined;
  const [top, left, bottom, right] = w.pads;
  const padded = w.pads.some((p) => p !== 0) ? e.node('Pad', [x, e.int64([0, 0, top, left, 0, 0, bottom, right])]) : x;
  const strided = w.strides.some((s) => s !== 1);
  /** The input at kernel offset (i, j): [.., .., H', W'] on spatial axes 2, 3 of `from`. */
  const window = (from: string, i: number, j: number) => {
    const begin = [i * w.dilations[0], j * w.dilations[1]];
    const end = [begin[0] + w.strides[0] * (ho - 1) + 1, begin[1] + w.strides[1] * (wo - 1) + 1];
    return e.slice(from, begin, end, [2, 3], strided ? w.strides : undefined);
  };
  const parts: string[] = [];
  if (ch < 16) {
    // Few input channels: per-sample GEMMs [O, H'·W'] × [H'·W', C·kh·kw] (MatMul over the batch, no transpose
    // of the large output gradient), summed over the batch. The columns of the whole batch are materialised at
    // once, so only while a sample's columns stay small (checked above).
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) parts.push(e.unsqueeze(window(padded, i, j), [2]));
    const stacked = parts.length === 1 ? parts[0] : e.node('Concat', parts, { axis: { int: 2 } }); // [N, C, kh·kw, H', W']
    const columns = e.transpose(e.reshape(stacked, e.int64([-1, ch * kh * kw, ho * wo])), [0, 2, 1]);
    const perSample = e.node('MatMul', [e.reshape(g, e.int64([-1, o, ho * wo])), columns]); // [N, O, C·kh·kw]
    return e.reshape(e.reduceSum(perSample, [0], false), e.int64([o, ch, kh, kw]));
  }
  const xT = e.transpose(padded, [1, 0, 2, 3]); // [C, N, H + pads, W + pads]
  const gRows = e.reshape(e.transpose(g, [1, 0, 2, 3]), e.int64([o, -1])); // [O, N·H'·W']
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const product = e.node('Gemm', [gRows, e.reshape(window(xT, i, j), e.int64([ch, -1]))], { transB: { int: 1 } }); // [O, C]
      parts.push(e.unsqueeze(product, [2]));
    }
  }
  const stacked = parts.length === 1 ? parts[0] : e.node('Concat', parts, { axis: { int: 2 } });
  return e.reshape(stacked, e.int64([o, ch, kh, kw]));
}

/**
 * The MaxPool rule. `'tiling'` (the default rule) finds the first maximum by SpaceToDepth + ArgMax for
 * square tiling windows and uses the forward node's Indices output otherwise; `'forward'` always uses the Indices
 * output (the reference the tiling path is tested against bit for bit).
 */
export function maxPoolRuleWith(indicesFrom: 'tiling' | 'forward') {
  return defineBackwardRule({
    opType: 'MaxPool',
    backward(c) {
      const g = c.grad(0);
      if (!g || !c.needsGrad(0)) return;
      if (c.attributes.int('storage_order', 0) !== 0) throw c.unsupported('storage_order=1 is not supported');
      const e = c.emit;
      const x = c.input(0);
      const spatial = c.facts(x).dims.slice(2);
      const w = windowOf(c, spatial);
      const indices = (indicesFrom === 'tiling' ? tilingMaxPoolIndices(c, w) : undefined) ?? c.forwardOutput(1);
      const shape = e.node('Shape', [x]);
      const disjoint = w.kernel.every((k, i) => (k - 1) * w.dilations[i] + 1 <= w.strides[i]);
      if (disjoint && w.dilations.every((d) => d === 1)) {
        // MaxUnpool checks output_shape against (out − 1)·stride + kernel − pads; ceil_mode windows overhang the
        // end, so count the overhang as end padding.
        const r = spatial.length;
        const out = c.facts(c.output(0)).dims.slice(2);
        const pads = [...w.pads];
        for (let i = 0; i < r; i++) pads[i + r] = Math.max(0, (out[i] - 1) * w.strides[i] + w.kernel[i] - w.pads[i] - spatial[i]);
        c.addGrad(0, e.node('MaxUnpool', [g, indices, shape], { kernel_shape: { ints: w.kernel }, strides: { ints: w.strides }, pads: { ints: pads } }));
        return;
      }
      const flat = e.int64([-1]);
      const zeros = e.reshape(e.node('ConstantOfShape', [shape]), flat);
      const scattered = e.node('ScatterElements', [zeros, e.reshape(indices, flat), e.reshape(g, flat)], {
        axis: { int: 0 },
        reduction: { string: 'add' },
      });
      c.addGrad(0, e.reshape(scattered, shape));
    },
  });
}

export const maxPoolRule = maxPoolRuleWith('tiling');
/** MaxPool through the forward node's Indices output only (ONNX Runtime's MaxPool-with-Indices kernel). */
export const maxPoolIndicesRule = maxPoolRuleWith('forward');

/**
 * Max-pool gradient for square k×k windows that tile the input (stride = kernel, no padding, no dilation;
 * floor mode, so a remainder row/column is simply never pooled), without ONNX Runtime's MaxPool-with-Indices
 * kernel (a branchy scalar loop, ≈15× slower than the plain pool on random data): SpaceToDepth lays the k²
 * window cells out as k² contiguous planes [N, k², C·H'·W'], ArgMax over the planes gives each window's FIRST
 * maximum in row-major order (PyTorch's tie rule; `select_last_index` 0), a few integer ops on the pooled grid
 * turn it into the flat input index MaxPool would have produced, and MaxUnpool routes the gradient as before.
 */
/**
 * Largest batch one `session.run` of a symbolic-batch generated graph may get (`createOrtGradientSession` chunks
 * above it; its default chunk is 256). Bounds the int32 max-pool indices: samples up to 2M pooled-input elements.
 */
export const MAX_ROWS_PER_RUN = 1024;

function tilingMaxPoolIndices(c: BackwardContext, w: Window): string | undefined {
  const e = c.emit;
  const x = c.input(0);
  const xFacts = c.facts(x);
  if (xFacts.dims.length !== 4 || xFacts.dims[1] !== xFacts.dims2[1]) return undefined;
  const [k, k2] = w.kernel;
  if (k !== k2 || k < 2 || w.pads.some((p) => p !== 0) || w.dilations.some((d) => d !== 1) || w.strides.some((s) => s !== k)) return undefined;
  const [, channels, h, wd] = xFacts.dims;
  const [ho, wo] = c.facts(c.output(0)).dims.slice(2);
  if (ho !== Math.floor(h / k) || wo !== Math.floor(wd / k) || ho < 1 || wo < 1) return undefined;
  // int32 indices stay exact while a run's input has < 2³¹ elements: a fixed batch is known, a symbolic one is
  // chunked to at most MAX_ROWS_PER_RUN rows by `createOrtGradientSession`.
  const rows = xFacts.dims[0] === xFacts.dims2[0] ? xFacts.dims[0] : MAX_ROWS_PER_RUN;
  if (channels * h * wd * rows >= 2 ** 31) return undefined;
  const cropped = ho * k !== h || wo * k !== wd ? e.slice(x, [0, 0], [ho * k, wo * k], [2, 3]) : x;
  const planes = e.reshape(e.node('SpaceToDepth', [cropped], { blocksize: { int: k } }), e.int64([-1, k * k, channels * ho * wo]));
  // b = i·k + j, the first maximal cell of each window, one row per (sample, channel) plane.
  const cell = e.reshape(e.node('ArgMax', [planes], { axis: { int: 1 }, keepdims: { int: 1 }, select_last_index: { int: 0 } }), e.int64([-1, ho * wo]));
  // Flat index into x: plane·H·W + (k·r + i)·W + k·s + j = plane·H·W + k·r·W + k·s + b + i·(W − k), in int32
  // (ONNX Runtime's int64 Div/Mul/Add are scalar loops, int32 ones vectorise).
  const b = e.node('Cast', [cell], { to: { int: OnnxDataType.INT32 } });
  const planesCount = e.node('Gather', [e.node('Shape', [cell]), e.int64([0], [])]);
  const planeStart = e.node('Cast', [e.node('Range', [e.int64([0], []), planesCount, e.int64([1], [])])], { to: { int: OnnxDataType.INT32 } });
  const windowStart = e.int32(Array.from({ length: ho * wo }, (_, q) => k * Math.floor(q / wo) * wd + k * (q % wo)), [1, ho * wo]);
  const start = e.add(e.unsqueeze(e.mul(planeStart, e.int32([h * wd], [])), [1]), windowStart);
  const inWindow = wd === k ? b : e.add(b, e.mul(e.node('Div', [b, e.int32([k], [])]), e.int32([wd - k], [])));
  const flat = e.node('Cast', [e.add(inWindow, start)], { to: { int: OnnxDataType.INT64 } });
  return e.reshape(flat, e.int64([-1, channels, ho, wo]));
}

/** Pool window extension at the end for ceil_mode (as the forward importer computes it). */
function ceilExtra(c: BackwardContext, spatial: number[], w: Window): number[] {
  if (!c.attributes.int('ceil_mode', 0)) return spatial.map(() => 0);
  const r = spatial.length;
  return spatial.map((size, i) => {
    const padded = size + w.pads[i] + w.pads[i + r];
    const span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    let out = Math.ceil((padded - span) / w.strides[i]) + 1;
    if ((out - 1) * w.strides[i] >= size + w.pads[i]) out -= 1;
    return Math.max(0, (out - 1) * w.strides[i] + span - padded);
  });
}

export const averagePoolRule = defineBackwardRule({
  opType: 'AveragePool',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const e = c.emit;
    const x = c.input(0);
    const xDims = c.facts(x).dims;
    if (xDims.length !== 4) throw c.unsupported('only 2-D average pooling is supported');
    const spatial = xDims.slice(2);
    const out = c.facts(c.output(0)).dims.slice(2);
    const w = windowOf(c, spatial);
    if (w.dilations.some((d) => d !== 1)) throw c.unsupported('dilated average pooling is not supported');
    const extra = ceilExtra(c, spatial, w);
    const [kh, kw] = w.kernel;
    const [h, wd] = spatial;
    const [top, left, bottom, right] = w.pads;
    const includePad = c.attributes.int('count_include_pad', 0) === 1;
    // Count of cells each window averages over, on the padded grid (extra ceil cells never count).
    const counts = new Float32Array(out[0] * out[1]);
    let uniform = true;
    for (let i = 0; i < out[0]; i++) {
      for (let j = 0; j < out[1]; j++) {
        let n = 0;
        for (let di = 0; di < kh; di++) {
          for (let dj = 0; dj < kw; dj++) {
            const y = i * w.strides[0] + di - top;
            const xx = j * w.strides[1] + dj - left;
            const inside = y >= 0 && y < h && xx >= 0 && xx < wd;
            const inPad = y >= -top && y < h + bottom && xx >= -left && xx < wd + right;
            if (inside || (includePad && inPad)) n++;
          }
        }
        counts[i * out[1] + j] = 1 / n;
        if (n !== kh * kw) uniform = false;
      }
    }
    const scaled = uniform ? e.scale(g, 1 / (kh * kw)) : e.mul(g, e.floatTensor('pool_counts', [1, 1, out[0], out[1]], counts));
    const channels = e.reshape(scaled, e.int64([-1, 1, out[0], out[1]]));
    const padsEnd = [bottom + extra[0], right + extra[1]];
    const padding = outputPadding(c, { ...w, pads: [top, left, ...padsEnd] }, spatial, out, padsEnd);
    const ones = e.floatTensor('pool_ones', [1, 1, kh, kw], new Float32Array(kh * kw).fill(1));
    const spread = e.node('ConvTranspose', [channels, ones], {
      kernel_shape: { ints: w.kernel },
      strides: { ints: w.strides },
      pads: { ints: [top, left, ...padsEnd] },
      output_padding: { ints: padding },
    });
    c.addGrad(0, e.reshapeLike(spread, x));
  },
});

export const globalAveragePoolRule = defineBackwardRule({
  opType: 'GlobalAveragePool',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const e = c.emit;
    const x = c.input(0);
    const count = c.facts(x).dims.slice(2).reduce((a, b) => a * b, 1);
    c.addGrad(0, e.scale(e.node('Expand', [g, e.node('Shape', [x])]), 1 / count));
  },
});

/** GlobalMaxPool: every maximal element gets the gradient (tfjs' max-gradient semantics). */
export const globalMaxPoolRule = defineBackwardRule({
  opType: 'GlobalMaxPool',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const e = c.emit;
    const x = c.input(0);
    const hit = e.node('Equal', [x, c.output(0)]);
    c.addGrad(0, e.node('Where', [hit, e.node('Expand', [g, e.node('Shape', [x])]), e.scalar(0)]));
  },
});

/** Inference batch normalisation y = (x − mean)·scale/√(var + ε) + B. */
export const batchNormalizationRule = defineBackwardRule({
  opType: 'BatchNormalization',
  parameterInputs: [1, 2],
  backward(c) {
    const g = c.grad(0);
    if (!g) return;
    if (c.attributes.int('training_mode', 0) === 1) throw c.unsupported('training_mode=1 is not supported');
    if (c.needsGrad(3) || c.needsGrad(4)) throw c.unsupported('gradients with respect to the running statistics are not supported');
    const e = c.emit;
    const x = c.input(0);
    const rank = c.facts(x).dims.length;
    const paramShape = e.int64([-1, ...new Array<number>(Math.max(0, rank - 2)).fill(1)]);
    const epsilon = c.attributes.float('epsilon', 1e-5);
    const inverseStd = e.node('Reciprocal', [e.node('Sqrt', [e.add(c.input(4), e.scalar(epsilon))])]);
    const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
    if (c.needsGrad(0)) c.addGrad(0, e.mul(g, e.reshape(e.mul(c.input(1), inverseStd), paramShape)));
    if (c.needsGrad(1)) {
      const normalised = e.mul(e.sub(x, e.reshape(c.input(3), paramShape)), e.reshape(inverseStd, paramShape));
      c.addGrad(1, e.reduceSum(e.mul(g, normalised), axes, false));
    }
    if (c.needsGrad(2)) c.addGrad(2, e.reduceSum(g, axes, false));
  },
});

function softmaxAxis(c: BackwardContext): number {
  const rank = c.facts(c.input(0)).dims.length;
  const legacy = c.opset < 13;
  let axis = c.attributes.int('axis', legacy ? 1 : -1);
  if (axis < 0) axis += rank;
  if (legacy && axis !== rank - 1) throw c.unsupported(`opset ${c.opset} ${c.node.opType} over the flattened axes ${axis}.. is not supported`);
  return axis;
}

export const softmaxRule = defineBackwardRule({
  opType: 'Softmax',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const e = c.emit;
    const y = c.output(0);
    const axis = softmaxAxis(c);
    c.addGrad(0, e.mul(y, e.sub(g, e.reduceSum(e.mul(g, y), [axis], true))));
  },
});

export const logSoftmaxRule = defineBackwardRule({
  opType: 'LogSoftmax',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const e = c.emit;
    const axis = softmaxAxis(c);
    c.addGrad(0, e.sub(g, e.mul(e.node('Exp', [c.output(0)]), e.reduceSum(g, [axis], true))));
  },
});

function reduceRule(opType: 'ReduceMean' | 'ReduceSum', inputSince: number) {
  return defineBackwardRule({
    opType,
    backward(c) {
      const g = c.grad(0);
      if (!g || !c.needsGrad(0)) return;
      const e = c.emit;
      const x = c.input(0);
      const facts = c.facts(x);
      const rank = facts.dims.length;
      let axes: number[] | undefined;
      if (c.opset >= inputSince) {
        const name = c.input(1);
        if (name) {
          axes = c.host(name) ?? (() => {
            throw c.unsupported('the reduction axes are not constant');
          })();
        }
      } else axes = c.attributes.ints('axes');
      if (!axes || axes.length === 0) {
        if (c.attributes.int('noop_with_empty_axes', 0)) {
          c.addGrad(0, g);
          return;
        }
        axes = facts.dims.map((_, i) => i);
      }
      const normalised = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
      let grad = g;
      if (c.attributes.int('keepdims', 1) === 0) grad = e.unsqueeze(grad, normalised);
      let spread = e.node('Expand', [grad, e.node('Shape', [x])]);
      if (opType === 'ReduceMean') {
        if (normalised.some((a) => facts.dims[a] !== facts.dims2[a])) throw c.unsupported('a mean over the batch axis is not supported');
        spread = e.scale(spread, 1 / normalised.reduce((p, a) => p * facts.dims[a], 1));
      }
      c.addGrad(0, spread);
    },
  });
}

export const reduceMeanRule = reduceRule('ReduceMean', 18);
export const reduceSumRule = reduceRule('ReduceSum', 13);

