/**
 * Small random ONNX networks for bound-propagation tests (seeded): dense nets mixing Gemm/MatMul+Add, Relu,
 * Sigmoid, Tanh, BatchNormalization, Sub/Mul/Div by constants; conv nets with Conv (random pads/strides),
 * Relu, MaxPool or AveragePool, Flatten or Reshape, Gemm. Returned as ONNX bytes.
 */
import { createRandom, type Random } from '../../src/engine/random.js';
import { encodeOnnxModel, type OnnxNodeSpec, type OnnxTensorSpec } from '../../src/engine/onnx/build.js';

export interface RandomNetwork {
  bytes: Uint8Array;
  /** Per-sample input dims as the graph takes them. */
  inputDims: number[];
  outputs: number;
  description: string;
}

function weights(r: Random, n: number, scale: number): number[] {
  return Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

export function randomDenseNetwork(seed: number, activations: readonly ('relu' | 'sigmoid' | 'tanh')[] = ['relu']): RandomNetwork {
  const r = createRandom(seed);
  const inputs = 2 + r.int(4);
  const layers = 1 + r.int(3);
  const nodes: OnnxNodeSpec[] = [];
  const inits: OnnxTensorSpec[] = [];
  let current = 'x';
  let width = inputs;
  const parts: string[] = [];
  let id = 0;
  const name = (p: string) => `${p}${id++}`;
  // Input normalisation by constants: (x − m) / s.
  if (r.next() < 0.5) {
    const m = name('m');
    const s = name('s');
    inits.push({ name: m, dims: [width], data: weights(r, width, 0.5) }, { name: s, dims: [width], data: Array.from({ length: width }, () => 0.5 + r.next()) });
    const o1 = name('v');
    const o2 = name('v');
    nodes.push({ opType: 'Sub', inputs: [current, m], outputs: [o1] }, { opType: 'Div', inputs: [o1, s], outputs: [o2] });
    current = o2;
    parts.push('Sub/Div');
  }
  for (let l = 0; l <= layers; l++) {
    const last = l === layers;
    const out = last ? 2 + r.int(3) : 2 + r.int(5);
    const w = name('w');
    const b = name('b');
    const y = name('v');
    if (r.next() < 0.5) {
      inits.push({ name: w, dims: [width, out], data: weights(r, width * out, 1.2) }, { name: b, dims: [out], data: weights(r, out, 0.5) });
      nodes.push({ opType: 'Gemm', inputs: [current, w, b], outputs: [y] });
      parts.push('Gemm');
    } else {
      // MatMul + Add, Gemm with transB.
      if (r.next() < 0.5) {
        inits.push({ name: w, dims: [width, out], data: weights(r, width * out, 1.2) }, { name: b, dims: [out], data: weights(r, out, 0.5) });
        const t = name('v');
        nodes.push({ opType: 'MatMul', inputs: [current, w], outputs: [t] }, { opType: 'Add', inputs: [t, b], outputs: [y] });
        parts.push('MatMul+Add');
      } else {
        inits.push({ name: w, dims: [out, width], data: weights(r, width * out, 1.2) }, { name: b, dims: [out], data: weights(r, out, 0.5) });
        nodes.push({ opType: 'Gemm', inputs: [current, w, b], outputs: [y], attributes: { transB: 1, alpha: { float: 0.9 } } });
        parts.push('Gemm(transB)');
      }
    }
    current = y;
    width = out;
    if (last) break;
    if (r.next() < 0.3) {
      const names = ['sc', 'bi', 'mu', 'va'].map(name);
      inits.push(
        { name: names[0], dims: [out], data: weights(r, out, 1.5) },
        { name: names[1], dims: [out], data: weights(r, out, 0.5) },
        { name: names[2], dims: [out], data: weights(r, out, 0.5) },
        { name: names[3], dims: [out], data: Array.from({ length: out }, () => 0.2 + r.next()) },
      );
      const t = name('v');
      nodes.push({ opType: 'BatchNormalization', inputs: [current, ...names], outputs: [t], attributes: { epsilon: { float: 1e-3 } } });
      current = t;
      parts.push('BN');
    }
    const act = activations[r.int(activations.length)]!;
    const a = name('v');
    nodes.push({ opType: act === 'relu' ? 'Relu' : act === 'sigmoid' ? 'Sigmoid' : 'Tanh', inputs: [current], outputs: [a] });
    parts.push(act);
    current = a;
    if (r.next() < 0.2) {
      const d = name('v');
      nodes.push({ opType: 'Identity', inputs: [current], outputs: [d] });
      current = d;
    }
  }
  const bytes = encodeOnnxModel({ inputs: [{ name: 'x', dims: ['N', inputs] }], outputs: [{ name: current }], initializers: inits, nodes });
  return { bytes, inputDims: [inputs], outputs: width, description: `dense ${inputs}→${parts.join('→')}` };
}

export function randomConvNetwork(seed: number): RandomNetwork {
  const r = createRandom(seed);
  const c = 1 + r.int(2);
  const hw = 6 + r.int(3);
  const f = 2 + r.int(2);
  const pad = r.int(2);
  const stride = 1 + (r.next() < 0.3 ? 1 : 0);
  const nodes: OnnxNodeSpec[] = [];
  const inits: OnnxTensorSpec[] = [
    { name: 'cw', dims: [f, c, 3, 3], data: weights(r, f * c * 9, 0.8) },
    { name: 'cb', dims: [f], data: weights(r, f, 0.3) },
  ];
  nodes.push({ opType: 'Conv', inputs: ['x', 'cw', 'cb'], outputs: ['c1'], attributes: { kernel_shape: [3, 3], pads: [pad, pad, pad + (r.next() < 0.5 ? 1 : 0), pad], strides: [stride, stride] } });
  nodes.push({ opType: 'Relu', inputs: ['c1'], outputs: ['r1'] });
  const conv1 = Math.floor((hw + 2 * pad - 3) / stride) + 1;
  const conv1w = Math.floor((hw + 2 * pad - 3) / stride) + 1;
  const conv1h = Math.floor((hw + pad + (nodes[0]!.attributes!.pads as number[])[2]! - 3) / stride) + 1;
  const maxPool = r.next() < 0.6;
  nodes.push({ opType: maxPool ? 'MaxPool' : 'AveragePool', inputs: ['r1'], outputs: ['p1'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } });
  const ph = Math.floor(conv1h / 2);
  const pw = Math.floor(conv1w / 2);
  void conv1;
  const flat = f * ph * pw;
  if (r.next() < 0.5) nodes.push({ opType: 'Flatten', inputs: ['p1'], outputs: ['fl'], attributes: { axis: 1 } });
  else {
    inits.push({ name: 'shape', dims: [2], data: [-1, flat], type: 'int64' });
    nodes.push({ opType: 'Reshape', inputs: ['p1', 'shape'], outputs: ['fl'] });
  }
  const hidden = 3 + r.int(4);
  const k = 2 + r.int(3);
  inits.push(
    { name: 'w1', dims: [flat, hidden], data: weights(r, flat * hidden, 0.7) },
    { name: 'b1', dims: [hidden], data: weights(r, hidden, 0.3) },
    { name: 'w2', dims: [hidden, k], data: weights(r, hidden * k, 1) },
    { name: 'b2', dims: [k], data: weights(r, k, 0.3) },
  );
  nodes.push(
    { opType: 'Gemm', inputs: ['fl', 'w1', 'b1'], outputs: ['h'] },
    { opType: 'Relu', inputs: ['h'], outputs: ['hr'] },
    { opType: 'Gemm', inputs: ['hr', 'w2', 'b2'], outputs: ['y'] },
  );
  const bytes = encodeOnnxModel({ inputs: [{ name: 'x', dims: ['N', c, hw, hw] }], outputs: [{ name: 'y' }], initializers: inits, nodes });
  return { bytes, inputDims: [c, hw, hw], outputs: k, description: `conv c${c} ${hw}×${hw} f${f} pad${pad} s${stride} ${maxPool ? 'MaxPool' : 'AveragePool'}` };
}
