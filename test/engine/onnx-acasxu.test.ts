/**
 * All 45 ACAS Xu networks (VNN-COMP ONNX files: initializers listed among graph inputs, fixed input shape
 * [1, 1, 1, 5]) load through both paths, are seen as 5-feature vector models, and agree on random inputs
 * inside property 1's box and inside the whole normalised input domain.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { setupBackend } from '../../src/engine/backend.js';
import { createRandom } from '../../src/engine/random.js';
import { loadOnnxModel } from '../../src/engine/onnx/index.js';
import { expectNoLeaks } from '../helpers/leaks.js';
import { sharedDir } from '../helpers/shared.js';

const folder = path.join(sharedDir(), 'benchmarks', 'acasxu', 'onnx');
const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.onnx')).sort() : [];

/** [lower, upper] per input, in the networks' normalised units (vnnlib prop_1 and the full domain). */
const boxes: Record<string, [number[], number[]]> = {
  'property 1': [[0.6, -0.5, -0.5, 0.45, -0.5], [0.679857769, 0.5, 0.5, 0.5, -0.45]],
  domain: [[-0.328422877, -0.5, -0.5, -0.5, -0.5], [0.679857769, 0.5, 0.5, 0.5, 0.5]],
};

beforeAll(async () => {
  await setupBackend();
});

describe.skipIf(files.length === 0)('ACAS Xu', () => {
  it('finds the 45 networks', () => {
    expect(files).toHaveLength(45);
  });

  it.each(files)('%s: ONNX Runtime and the tfjs import agree', async (file) => {
    const model = await loadOnnxModel(path.join(folder, file), { bounds: [-1, 1] });
    expect(model.inputShape).toEqual([5]);
    expect(model.layout).toBe('vector');
    expect(model.modelSampleDims).toEqual([1, 1, 5]);
    expect(model.numClasses).toBe(5);
    expect(model.opTypes).toEqual(['Add', 'Flatten', 'MatMul', 'Relu', 'Sub']);
    expect(model.parameterCount).toBe(5 + 5 * 50 + 50 + 5 * (50 * 50 + 50) + 50 * 5 + 5);
    const random = createRandom(file.length * 7919 + file.charCodeAt(15));
    await expectNoLeaks(async () => {
      for (const [lower, upper] of Object.values(boxes)) {
        const n = 32;
        const values = Float32Array.from({ length: n * 5 }, (_, i) => lower[i % 5] + random.next() * (upper[i % 5] - lower[i % 5]));
        const x = tf.tensor2d(values, [n, 5]);
        const ort = await model.logits(x);
        const tfjs = model.logitsSync(x);
        const a = ort.dataSync();
        const b = tfjs.dataSync();
        expect(ort.shape).toEqual([n, 5]);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a[i])));
        tf.dispose([x, ort, tfjs]);
      }
    });
    model.dispose();
  });
});
