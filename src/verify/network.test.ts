import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractReluNetwork, loadReluNetwork } from './network.js';
import { forwardRelu } from './interval.js';
import { ortForwardBatch } from './verifier.js';
import { createRandom } from '../engine/random.js';
import { encodeOnnxModel, parseOnnx } from '../engine/onnx/index.js';
import { sharedDir } from '../../test/helpers/shared.js';

const benchmarks = path.join(sharedDir(), 'benchmarks');

async function compareWithOrt(file: string, samples: number, scale: (r: () => number, i: number) => number): Promise<number> {
  const extracted = loadReluNetwork(file);
  const random = createRandom(file.length);
  // Round inputs to float32 first: ONNX Runtime sees float32, the Float64 pass must see the same point.
  const points = Array.from({ length: samples }, () =>
    Float64Array.from(Float32Array.from({ length: extracted.network.inputSize }, (_, i) => scale(() => random.next(), i))),
  );
  const outputs = await ortForwardBatch(extracted, points);
  let worst = 0;
  points.forEach((x, s) => {
    const ours = forwardRelu(extracted.network, x);
    const theirs = outputs[s];
    for (let j = 0; j < ours.length; j++) worst = Math.max(worst, Math.abs(ours[j] - theirs[j]) / Math.max(1, Math.abs(theirs[j])));
  });
  return worst;
}

describe('loadReluNetwork', () => {
  it('folds the ACAS Xu normalisation (Sub) and Flatten: 5 → 6×50 → 5, equal to ONNX Runtime on all 45 networks', async () => {
    const files = fs.readdirSync(path.join(benchmarks, 'acasxu/onnx')).filter((f) => f.endsWith('.onnx'));
    expect(files).toHaveLength(45);
    const first = loadReluNetwork(path.join(benchmarks, 'acasxu/onnx', files[0]));
    expect(first.network.layers.map((l) => l.outSize)).toEqual([50, 50, 50, 50, 50, 50, 5]);
    expect(first.inputDims).toEqual([1, 1, 1, 5]);
    let worst = 0;
    for (const f of files) worst = Math.max(worst, await compareWithOrt(path.join(benchmarks, 'acasxu/onnx', f), 4, (r) => r() - 0.5));
    expect(worst).toBeLessThan(1e-5);
  });

  it('reads the mnist_fc Gemm chains (transB) equal to ONNX Runtime', async () => {
    for (const [name, depth] of [['256x2', 2], ['256x4', 4], ['256x6', 6]] as const) {
      const file = path.join(benchmarks, 'mnist_fc/onnx', `mnist-net_${name}.onnx`);
      const { network } = loadReluNetwork(file);
      expect(network.inputSize).toBe(784);
      expect(network.layers).toHaveLength(depth + 1);
      expect(await compareWithOrt(file, 4, (r) => r())).toBeLessThan(1e-5);
    }
  });

  it('composes Sub/Mul/Div/Add constants exactly and refuses non-ReLU graphs with the node named', () => {
    // y = ((x − 1) / 2) · W + b, relu, then Gemm.
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', dims: [1, 2] }],
      outputs: [{ name: 'y', dims: [1, 1] }],
      initializers: [
        { name: 'one', dims: [2], data: [1, 1] },
        { name: 'two', dims: [], data: [2] },
        { name: 'W', dims: [2, 2], data: [1, -1, 2, 0.5] },
        { name: 'b', dims: [2], data: [0.25, -0.5] },
        { name: 'W2', dims: [1, 2], data: [3, -2] },
        { name: 'b2', dims: [1], data: [0.1] },
      ],
      nodes: [
        { opType: 'Sub', inputs: ['x', 'one'], outputs: ['s'] },
        { opType: 'Div', inputs: ['s', 'two'], outputs: ['d'] },
        { opType: 'MatMul', inputs: ['d', 'W'], outputs: ['m'] },
        { opType: 'Add', inputs: ['m', 'b'], outputs: ['a'] },
        { opType: 'Relu', inputs: ['a'], outputs: ['r'] },
        { opType: 'Gemm', inputs: ['r', 'W2', 'b2'], outputs: ['y'], attributes: { transB: 1 } },
      ],
    });
    const { network } = extractReluNetwork(parseOnnx(bytes, 'tiny.onnx'), bytes);
    expect(network.layers).toHaveLength(2);
    const x = Float64Array.of(3, -1);
    const d = [(3 - 1) / 2, (-1 - 1) / 2];
    const h = [Math.max(d[0] * 1 + d[1] * 2 + 0.25, 0), Math.max(d[0] * -1 + d[1] * 0.5 - 0.5, 0)];
    expect(forwardRelu(network, x)[0]).toBeCloseTo(3 * h[0] - 2 * h[1] + Math.fround(0.1), 12);

    const sigmoid = encodeOnnxModel({
      inputs: [{ name: 'x', dims: [1, 2] }],
      outputs: [{ name: 'y', dims: [1, 2] }],
      nodes: [{ opType: 'Sigmoid', inputs: ['x'], outputs: ['y'], name: 'act' }],
    });
    expect(() => extractReluNetwork(parseOnnx(sigmoid, 'sig.onnx'), sigmoid)).toThrow(/sig\.onnx: Sigmoid node "act" is not supported/);
  });

  it('says which file is missing', () => {
    expect(() => loadReluNetwork('/nonexistent/net.onnx')).toThrow(/ONNX file not found: \/nonexistent\/net\.onnx/);
  });
});
