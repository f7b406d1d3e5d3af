/**
 * The shipped reference models meet their accuracy targets on the full test sets, and their sidecars tell
 * the truth (the recorded test accuracy is what an evaluation gives today).
 */
import fs from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../src/engine/backend.js';
import { loadModel, resolveModelSpec } from '../../src/engine/load.js';
import { openDataset } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/metrics/accuracy.js';

const targets = [
  { spec: 'builtin:mnist-cnn', data: 'mnist:test', minimum: 0.975 },
  { spec: 'builtin:mnist-mlp', data: 'mnist:test', minimum: 0.95 },
  { spec: 'builtin:fashion-cnn', data: 'fashion-mnist:test', minimum: 0.9 },
];

beforeAll(async () => {
  await setupBackend();
});

describe('reference models', () => {
  for (const { spec, data, minimum } of targets) {
    it(`${spec} ≥ ${minimum} on ${data}, as its sidecar records`, async () => {
      const model = await loadModel(spec);
      const dataset = await openDataset(data);
      const { accuracy, count } = await evaluateAccuracy(model, dataset);
      model.dispose();
      expect(count).toBe(data.startsWith('fashion') ? 10_000 : 2_000);
      expect(accuracy).toBeGreaterThanOrEqual(minimum);
      const sidecar = resolveModelSpec(spec).sidecar!;
      expect(sidecar.testData).toBe(data);
      expect(sidecar.testAccuracy).toBeCloseTo(accuracy, 10);
      expect(sidecar.command).toMatch(/^rampart train /);
      // the exported ONNX twin ships beside the TF.js model
      expect(fs.existsSync(resolveModelSpec(spec).file.replace(/model\.json$/, 'model.onnx'))).toBe(true);
    });
  }
});

// Hardened models (docs/harden.md): the sidecar's clean test accuracy is what an evaluation gives today, the
// command is the `rampart harden` run that made them, and each records its robustness evaluation.
const hardened = [
  { spec: 'builtin:mnist-cnn-robust', data: 'mnist:test', minimum: 0.95 },
  { spec: 'builtin:fashion-cnn-robust', data: 'fashion-mnist:test', minimum: 0.8 },
  { spec: 'builtin:mnist-mlp-ibp', data: 'mnist:test', minimum: 0.85 },
  { spec: 'builtin:mnist-cnn-noise', data: 'mnist:test', minimum: 0.95 },
];

describe('hardened models', () => {
  for (const { spec, data, minimum } of hardened) {
    it(`${spec} ≥ ${minimum} clean on ${data}, as its sidecar records`, async () => {
      const model = await loadModel(spec);
      const { accuracy } = await evaluateAccuracy(model, await openDataset(data));
      model.dispose();
      expect(accuracy).toBeGreaterThanOrEqual(minimum);
      const sidecar = resolveModelSpec(spec).sidecar!;
      expect(sidecar.testData).toBe(data);
      expect(sidecar.testAccuracy as number).toBeCloseTo(accuracy, 3);
      expect(sidecar.command).toMatch(/^rampart harden /);
      expect(Array.isArray(sidecar.evaluation)).toBe(true);
      expect(fs.existsSync(resolveModelSpec(spec).file.replace(/model\.json$/, 'model.onnx'))).toBe(true);
    });
  }
});
