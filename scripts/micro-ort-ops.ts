/**
 * Micro-benchmark of single ONNX Runtime CPU kernels on the reference CNN's first-layer shapes (batch 256,
 * 1 thread): per-node kernel times from ONNX Runtime's profiler, median over runs. Scratch tool for issue #3.
 *
 *   npx tsx scripts/micro-ort-ops.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnxTypes } from '../src/engine/onnx/proto.js';
import { GraphEmitter } from '../src/engine/onnx-grad/emitter.js';
import { createRandom } from '../src/engine/random.js';

type Build = (e: GraphEmitter, inputs: string[]) => void;
interface Case {
  name: string;
  inputs: { name: string; dims: number[]; type?: 'float' | 'int64' }[];
  build: Build;
}

async function runCase(c: Case, runs = 15): Promise<void> {
  const ort = await import('onnxruntime-node');
  const e = new GraphEmitter(18, c.inputs.map((i) => i.name));
  c.build(e, c.inputs.map((i) => i.name));
  const used = new Set(e.nodes.flatMap((n) => n.input));
  const outputs = e.nodes.flatMap((n) => n.output).filter((o) => !used.has(o));
  const info = (name: string, dims: number[], elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'micro',
      node: e.nodes,
      initializer: e.initializers,
      input: c.inputs.map((i) => info(i.name, i.dims, i.type === 'int64' ? 7 : 1)),
      output: outputs.map((o) => ({ name: o })),
    },
  };
  const bytes = onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
  const prefix = path.join(os.tmpdir(), `micro-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended', enableProfiling: true, profileFilePrefix: prefix });
  const random = createRandom(1);
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const i of c.inputs) {
    const n = i.dims.reduce((a, b) => a * b, 1);
    feeds[i.name] = i.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(random.next() * 4))), i.dims) : new ort.Tensor('float32', Float32Array.from({ length: n }, () => random.next() - 0.5), i.dims);
  }
  for (let r = 0; r < runs; r++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = fs.readdirSync(os.tmpdir()).map((f) => path.join(os.tmpdir(), f)).find((f) => f.startsWith(prefix))!;
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  fs.unlinkSync(file);
  const per = new Map<string, number[]>();
  for (const ev of events) if (ev.cat === 'Node' && ev.name.endsWith('_kernel_time')) per.set(`${ev.args?.op_name} ${ev.name.replace(/_kernel_time$/, '')}`, [...(per.get(`${ev.args?.op_name} ${ev.name.replace(/_kernel_time$/, '')}`) ?? []), ev.dur]);
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] / 1000;
  let total = 0;
  const parts = [...per].map(([k, v]) => {
    total += med(v);
    return `${k.split(' ')[0]} ${med(v).toFixed(2)}`;
  });
  console.log(`${c.name.padEnd(44)} total ${total.toFixed(2)} ms  [${parts.join(', ')}]`);
}

const N = 256;
const cases: Case[] = [
  { name: 'ArgMax [N,4,5408] axis 1', inputs: [{ name: 'x', dims: [N, 4, 5408] }], build: (e, [x]) => void e.node('ArgMax', [x], { axis: { int: 1 }, keepdims: { int: 1 } }) },
  { name: 'ReduceMax [N,4,5408] axis 1', inputs: [{ name: 'x', dims: [N, 4, 5408] }], build: (e, [x]) => void e.reduceMax(x, [1], false) },
  { name: 'MaxPool 2x2 [N,32,26,26]', inputs: [{ name: 'x', dims: [N, 32, 26, 26] }], build: (e, [x]) => void e.node('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }) },
  { name: 'SpaceToDepth [N,32,26,26]', inputs: [{ name: 'x', dims: [N, 32, 26, 26] }], build: (e, [x]) => void e.node('SpaceToDepth', [x], { blocksize: { int: 2 } }) },
  {
    name: 'Split4 + Max4 [N,4,5408]',
    inputs: [{ name: 'x', dims: [N, 4, 5408] }],
    build: (e, [x]) => {
      const p = e.nodeN('Split', [x], 4, { axis: { int: 1 }, num_outputs: { int: 4 } });
      e.node('Max', p);
    },
  },
  {
    name: 'onehot Equal+Cast+Mul [N,4,5408]',
    inputs: [{ name: 'a', dims: [N, 1, 5408], type: 'int64' }, { name: 'g', dims: [N, 1, 5408] }],
    build: (e, [a, g]) => void e.mul(e.node('Cast', [e.node('Equal', [a, e.int64([0, 1, 2, 3], [1, 4, 1])])], { to: { int: 1 } }), g),
  },
  {
    name: 'onehot OneHot+Mul [N,4,5408]',
    inputs: [{ name: 'a', dims: [N, 1, 5408], type: 'int64' }, { name: 'g', dims: [N, 1, 5408] }],
    build: (e, [a, g]) => void e.mul(e.node('OneHot', [e.squeeze(a, [1]), e.int64([4], []), e.floatTensor('v', [2], [0, 1])], { axis: { int: 1 } }), g),
  },
  {
    name: 'index arith + MaxUnpool (current)',
    inputs: [{ name: 'a', dims: [N, 1, 5408], type: 'int64' }, { name: 'g', dims: [N, 32, 13, 13] }],
    build: (e, [a, g]) => {
      const b = e.node('Cast', [e.reshape(a, e.int64([-1, 169]))], { to: { int: 6 } });
      const start = e.int32(Array.from({ length: N * 32 * 169 }, (_, q) => q), [N * 32, 169]);
      const inWin = e.add(b, e.mul(e.node('Div', [b, e.int32([2], [])]), e.int32([24], [])));
      const flat = e.node('Cast', [e.add(inWin, start)], { to: { int: 7 } });
      e.node('MaxUnpool', [g, e.reshape(flat, e.int64([N, 32, 13, 13])), e.int64([N, 32, 26, 26])], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
    },
  },
  { name: 'MatMul W[32,9] x cols[N,4,9,169]', inputs: [{ name: 'w', dims: [32, 9] }, { name: 'c', dims: [N, 4, 9, 169] }], build: (e, [w, c]) => void e.node('MatMul', [w, c]) },
  { name: 'MatMul W[32,9] x cols[N,9,676]', inputs: [{ name: 'w', dims: [32, 9] }, { name: 'c', dims: [N, 9, 676] }], build: (e, [w, c]) => void e.node('MatMul', [w, c]) },
  { name: 'Conv 1->32 3x3 [N,1,28,28] (weights input)', inputs: [{ name: 'x', dims: [N, 1, 28, 28] }, { name: 'w', dims: [32, 1, 3, 3] }, { name: 'b', dims: [32] }], build: (e, [x, w, b]) => void e.node('Conv', [x, w, b]) },
  {
    name: 'wgrad MatMul(g[N,4,32,169], colsT) + RSum',
    inputs: [{ name: 'g', dims: [N, 4, 32, 169] }, { name: 'c', dims: [N, 4, 9, 169] }],
    build: (e, [g, c]) => void e.reduceSum(e.node('MatMul', [g, e.transpose(c, [0, 1, 3, 2])]), [0, 1], false),
  },
  {
    name: 'wgrad MatMul(g[N,32,676], colsT) + RSum',
    inputs: [{ name: 'g', dims: [N, 32, 676] }, { name: 'c', dims: [N, 9, 676] }],
    build: (e, [g, c]) => void e.reduceSum(e.node('MatMul', [g, e.transpose(c, [0, 2, 1])]), [0], false),
  },
  { name: 'ConvTranspose 64->32 [N,64,11,11]', inputs: [{ name: 'g', dims: [N, 64, 11, 11] }, { name: 'w', dims: [64, 32, 3, 3] }], build: (e, [g, w]) => void e.node('ConvTranspose', [g, w]) },
  { name: 'Conv 32->64 3x3 [N,32,13,13] (weights input)', inputs: [{ name: 'x', dims: [N, 32, 13, 13] }, { name: 'w', dims: [64, 32, 3, 3] }, { name: 'b', dims: [64] }], build: (e, [x, w, b]) => void e.node('Conv', [x, w, b]) },
  {
    name: 'ScatterElements axis1 one-hot [N,4,5408]',
    inputs: [{ name: 'a', dims: [N, 1, 5408], type: 'int64' }, { name: 'g', dims: [N, 1, 5408] }, { name: 'y', dims: [N, 4, 5408] }],
    build: (e, [a, g, y]) => void e.node('ScatterElements', [e.node('ConstantOfShape', [e.node('Shape', [y])]), a, g], { axis: { int: 1 } }),
  },
  {
    name: 'plane conv fwd: S2D(x) + Conv(4->128, 2x2) + ReduceMax',
    inputs: [{ name: 'x', dims: [N, 1, 28, 28] }, { name: 'w', dims: [128, 4, 2, 2] }],
    build: (e, [x, w]) => void e.reduceMax(e.reshape(e.node('Conv', [e.node('SpaceToDepth', [x], { blocksize: { int: 2 } }), w]), e.int64([-1, 4, 5408])), [1], false),
  },
  {
    name: 'plane wgrad: 4 slices+concat, MatMul [N,128,169]x[N,169,16]',
    inputs: [{ name: 's', dims: [N, 4, 14, 14] }, { name: 'g', dims: [N, 128, 169] }],
    build: (e, [s, g]) => {
      const parts: string[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) parts.push(e.unsqueeze(e.slice(s, [i, j], [i + 13, j + 13], [2, 3]), [2]));
      const cols = e.reshape(e.node('Concat', parts, { axis: { int: 2 } }), e.int64([-1, 16, 169]));
      e.reduceSum(e.node('MatMul', [g, e.transpose(cols, [0, 2, 1])]), [0], false);
    },
  },
  {
    name: 'plane unpool: int32 index + 1-D MaxUnpool',
    inputs: [{ name: 'a', dims: [N, 1, 5408], type: 'int64' }, { name: 'g', dims: [N, 1, 5408] }],
    build: (e, [a, g]) => {
      const L = 5408;
      const b = e.node('Cast', [a], { to: { int: 6 } });
      const n = e.node('Cast', [e.node('Range', [e.int64([0], []), e.node('Gather', [e.node('Shape', [a]), e.int64([0], [])]), e.int64([1], [])])], { to: { int: 6 } });
      const base = e.add(e.reshape(e.mul(n, e.int32([4 * L], [])), e.int64([-1, 1, 1])), e.int32(Array.from({ length: L }, (_, q) => q), [1, 1, L]));
      const idx = e.node('Cast', [e.add(e.mul(b, e.int32([L], [])), base)], { to: { int: 7 } });
      const out = e.node('MaxUnpool', [e.reshape(g, e.int64([1, 1, -1])), e.reshape(idx, e.int64([1, 1, -1]))], { kernel_shape: { ints: [4] }, strides: { ints: [4] } });
      e.reshape(out, e.int64([N, 4, L]));
    },
  },
  { name: 'ConvTranspose 64->32 [N,64,10,10] out 12', inputs: [{ name: 'g', dims: [N, 64, 10, 10] }, { name: 'w', dims: [64, 32, 3, 3] }], build: (e, [g, w]) => void e.node('ConvTranspose', [g, w]) },
  { name: 'ConvTranspose 64->32 [N,64,10,10] + Pad to 13', inputs: [{ name: 'g', dims: [N, 64, 10, 10] }, { name: 'w', dims: [64, 32, 3, 3] }], build: (e, [g, w]) => void e.node('Pad', [e.node('ConvTranspose', [g, w]), e.int64([0, 0, 0, 0, 0, 0, 1, 1])]) },
  {
    name: 'Max variadic 4 x [N,32,13,13]',
    inputs: [0, 1, 2, 3].map((d) => ({ name: `y${d}`, dims: [N, 32, 13, 13] })),
    build: (e, ys) => void e.node('Max', ys),
  },
  {
    name: 'Max binary tree 4 x [N,32,13,13]',
    inputs: [0, 1, 2, 3].map((d) => ({ name: `y${d}`, dims: [N, 32, 13, 13] })),
    build: (e, ys) => void e.node('Max', [e.node('Max', [ys[0], ys[1]]), e.node('Max', [ys[2], ys[3]])]),
  },
  {
    name: 'route Cast+Mul [N,32,13,13]',
    inputs: [{ name: 'a', dims: [N, 32, 13, 13] }, { name: 'b', dims: [N, 32, 13, 13] }, { name: 'g', dims: [N, 32, 13, 13] }],
    build: (e, [a, b, g]) => void e.mul(e.node('Cast', [e.node('Equal', [a, b])], { to: { int: 1 } }), g),
  },
  {
    name: 'route Where [N,32,13,13]',
    inputs: [{ name: 'a', dims: [N, 32, 13, 13] }, { name: 'b', dims: [N, 32, 13, 13] }, { name: 'g', dims: [N, 32, 13, 13] }],
    build: (e, [a, b, g]) => void e.node('Where', [e.node('Equal', [a, b]), g, e.scalar(0)]),
  },
  {
    name: 'route Where full zeros [N,32,13,13]',
    inputs: [{ name: 'a', dims: [N, 32, 13, 13] }, { name: 'b', dims: [N, 32, 13, 13] }, { name: 'g', dims: [N, 32, 13, 13] }, { name: 'z', dims: [N, 32, 13, 13] }],
    build: (e, [a, b, g, z]) => void e.node('Where', [e.node('Equal', [a, b]), g, z]),
  },
  { name: 'Conv 32->64 3x3 [N,32,12,12] (weights input)', inputs: [{ name: 'x', dims: [N, 32, 12, 12] }, { name: 'w', dims: [64, 32, 3, 3] }, { name: 'b', dims: [64] }], build: (e, [x, w, b]) => void e.node('Conv', [x, w, b]) },
  {
    name: 'ConvT as MatMul + Col2Im',
    inputs: [{ name: 'g', dims: [N, 64, 121] }, { name: 'w', dims: [64, 288] }],
    build: (e, [g, w]) => void e.node('Col2Im', [e.node('MatMul', [e.transpose(w, [1, 0]), g]), e.int64([13, 13]), e.int64([3, 3])]),
  },
  {
    name: 'conv2 fwd: 9 Slices + Concat + Gemm + Transpose',
    inputs: [{ name: 'xt', dims: [32, N, 13, 13] }, { name: 'w', dims: [64, 288] }, { name: 'b', dims: [64, 1] }],
    build: (e, [xt, w, b]) => {
      const parts: string[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) parts.push(e.reshape(e.slice(xt, [i, j], [i + 11, j + 11], [2, 3]), e.int64([32, -1])));
      const cols = e.node('Concat', parts, { axis: { int: 0 } });
      const y = e.node('Gemm', [w, cols, b]);
      e.transpose(e.reshape(y, e.int64([64, N, 121])), [1, 0, 2]);
    },
  },
  {
    name: '9 Slices of xT (existing wgrad)',
    inputs: [{ name: 'xt', dims: [32, N, 13, 13] }],
    build: (e, [xt]) => {
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) e.reshape(e.slice(xt, [i, j], [i + 11, j + 11], [2, 3]), e.int64([32, -1]));
    },
  },
  {
    name: 'conv2 fwd per-sample Im2Col-free: Conv NHWC? (skip)',
    inputs: [{ name: 'x', dims: [1] }],
    build: (e, [x]) => void e.node('Identity', [x]),
  },
];

async function main() {
  const only = process.argv[2];
  for (const c of cases) if (!only || c.name.includes(only)) await runCase(c);
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
