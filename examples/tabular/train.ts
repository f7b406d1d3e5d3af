/**
 * Trains the example's MLP (Rampart's reference MLP, Dense 256-256-2) on breast-cancer-train.csv through the
 * library's training loop and writes a TF.js model plus its ONNX export to examples/tabular/model/.
 *
 * Run: npx tsx examples/tabular/train.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend } from '../../src/engine/backend.js';
import { folderSaveHandler } from '../../src/engine/tfjs-io.js';
import { exportToOnnx } from '../../src/engine/export-onnx.js';
import { openDataset } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/metrics/accuracy.js';
import { trainTabularClassifier } from '../../src/validate/tabular-training.js';

const here = path.dirname(fileURLToPath(import.meta.url));
await setupBackend();
const train = await openDataset(`csv:${path.join(here, 'breast-cancer-train.csv')}`);
const test = await openDataset(`csv:${path.join(here, 'breast-cancer-test.csv')}`);
const options = { arch: 'mlp', epochs: 30, batchSize: 32, learningRate: 1e-3, seed: 1, shiftPixels: 0 } as const;
const { model } = await trainTabularClassifier(train, options);
const { accuracy } = await evaluateAccuracy(model, test);
const out = path.join(here, 'model');
const layersModel = model.layersModel as tfl.LayersModel;
await layersModel.save(folderSaveHandler(out));
fs.writeFileSync(path.join(out, 'model.onnx'), exportToOnnx(layersModel, { producer: 'rampart' }));
fs.writeFileSync(
  path.join(out, 'rampart.json'),
  JSON.stringify({ name: 'breast-cancer-mlp', command: 'npx tsx examples/tabular/train.ts', options, data: train.spec, testAccuracy: accuracy }, null, 2) + '\n',
);
console.log(`test accuracy ${(accuracy * 100).toFixed(2)}% on ${test.count} samples; saved to ${out}`);
model.dispose();
