/** certifiedAccuracy leaves no tensor behind (IBP, CROWN and the radius bisection, over several batches). */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { openDataset } from '../data/open.js';
import { loadAll } from '../data/load-all.js';
import { certifiedAccuracy } from './certified-accuracy.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

beforeAll(async () => {
  await setupBackend();
});

describe('certifiedAccuracy', () => {
  it('does not leak tensors across batches, methods and the radius bisection', async () => {
    const model = await loadModel('builtin:mnist-mlp');
    const data = await loadAll(await openDataset('mnist:test', { limit: 6 }));
    await certifiedAccuracy(model, data, { methods: ['ibp', 'crown'], epsilons: [0.01], batchSize: 4 }); // warm-up
    const report = await expectNoLeaks(() =>
      certifiedAccuracy(model, data, { methods: ['ibp', 'crown'], epsilons: [0.005, 0.01], batchSize: 4, radius: true, radiusSteps: 3 }),
    );
    expect(report.count).toBe(6);
    model.dispose();
  });
});
