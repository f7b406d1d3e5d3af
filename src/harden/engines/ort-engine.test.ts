/**
 * The ONNX Runtime training engine on the reference CNN against the tfjs engine: weight steps (their own graph,
 * where the first conv-pool block runs in pool-plane layout) and attack steps (the combined graph) give the same
 * gradients — per weight tensor the same sum of |g| and of g² (layouts differ: OIHW vs HWIO) within 1e-4 relative —
 * on MNIST-like inputs full of exact zeros and ones (pool ties), and the same input gradient.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../engine/backend.js';
import { createRandom } from '../../engine/random.js';
import { buildArchitecture } from '../architectures.js';
import { createOrtEngine } from './ort-engine.js';
import { createTfjsEngine } from './tfjs-engine.js';

beforeAll(async () => {
  await setupBackend();
});

describe('ORT engine on the reference CNN', () => {
  it('weight and input gradients equal the tfjs engine (separate weight-step graph)', async () => {
    const model = buildArchitecture('cnn', [28, 28, 1], 10, 7);
    const ort = await createOrtEngine({ layersModel: model });
    const tfjs = createTfjsEngine(model);
    const random = createRandom(17);
    const n = 12;
    const x = Float32Array.from({ length: n * 784 }, () => (random.next() < 0.6 ? 0 : random.next() < 0.5 ? 1 : random.next()));
    const y = Array.from({ length: n }, (_, i) => i % 10);
    const w = new Float32Array(n).fill(1 / n);
    try {
      const a = [...(await ort.weightGradients(x, y, w, n)).gradients.values()];
      const b = [...(await tfjs.weightGradients(x, y, w, n)).gradients.values()];
      expect(a.length).toBe(b.length);
      const stats = (g: Float32Array) => [g.reduce((s, v) => s + Math.abs(v), 0), g.reduce((s, v) => s + v * v, 0)];
      a.forEach((g, i) => {
        const [sa, qa] = stats(g);
        const [sb, qb] = stats(b[i]);
        expect(g.length).toBe(b[i].length);
        expect(Math.abs(sa - sb) / sb, `weight ${i} Σ|g|`).toBeLessThan(1e-4);
        expect(Math.abs(qa - qb) / qb, `weight ${i} Σg²`).toBeLessThan(1e-4);
      });
      const ia = (await ort.inputGradient(x, y, n)).gradient;
      const ib = (await tfjs.inputGradient(x, y, n)).gradient;
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < ia.length; i++) {
        diff = Math.max(diff, Math.abs(ia[i] - ib[i]));
        scale = Math.max(scale, Math.abs(ib[i]));
      }
      expect(diff / scale).toBeLessThan(1e-4);
    } finally {
      await ort.release();
      await tfjs.release();
      model.dispose();
    }
  });
});
