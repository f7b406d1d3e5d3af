/** An evaluation leaves tf.memory().numTensors unchanged, on both adapters and both backends. */
import { describe, it, expect } from 'vitest';
import { setupBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/engine/load.js';
import { openDataset } from '../../src/data/index.js';
import { evaluateAccuracy } from '../../src/metrics/accuracy.js';
import { isDifferentiable } from '../../src/engine/model.js';
import { tf } from '../../src/engine/tf.js';
import { expectNoLeaks } from '../helpers/leaks.js';

describe('evaluation leaks no tensors', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const spec of ['builtin:mnist-cnn', 'models/mnist-mlp/model.onnx']) {
      it(`${spec} on ${backend}`, async () => {
        await setupBackend({ backend });
        const model = await loadModel(spec);
        const data = await openDataset('mnist:test', { limit: backend === 'cpu' ? 64 : 256 });
        const metrics = await expectNoLeaks(() => evaluateAccuracy(model, data, { batchSize: 50 }));
        expect(metrics.accuracy).toBeGreaterThan(0.9);
        if (isDifferentiable(model)) {
          await expectNoLeaks(async () => {
            const x = tf.zeros([4, ...model.inputShape]);
            const y = tf.tensor1d([0, 1, 2, 3], 'int32');
            const result = await model.lossAndGradient(x, y, 'cross-entropy');
            tf.dispose([x, y, result.loss, result.gradient, result.logits]);
          });
        }
        model.dispose();
      });
    }
  }
});
