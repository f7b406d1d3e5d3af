/**
 * Makes a worse copy of a TF.js model for snapshot-validation tests: every weight tensor w gets seeded Gaussian
 * noise of standard deviation `scale` × std(w), and the copy is saved as model.json + weights.bin in `folder`.
 */
import { tf } from '../../src/engine/tf.js';
import { loadModel } from '../../src/engine/load.js';
import { createRandom } from '../../src/engine/random.js';
import { folderSaveHandler } from '../../src/engine/tfjs-io.js';
import { TfjsModel } from '../../src/engine/tfjs-model.js';

export async function saveNoisyCopy(spec: string, folder: string, scale: number, seed: number): Promise<void> {
  const model = await loadModel(spec);
  try {
    if (!(model instanceof TfjsModel) || !model.layersModel) throw new Error(`${spec} is not a TF.js LayersModel`);
    const random = createRandom(seed);
    const layers = model.layersModel;
    for (const layer of layers.layers) {
      const weights = layer.getWeights();
      if (weights.length === 0) continue;
      const noisy = weights.map((w) => {
        const values = w.dataSync() as Float32Array;
        const m = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length) || 1e-3;
        const out = Float32Array.from(values, (v) => v + scale * std * random.normal());
        return tf.tensor(out, w.shape, 'float32');
      });
      layer.setWeights(noisy);
      for (const t of noisy) t.dispose();
    }
    await layers.save(folderSaveHandler(folder));
  } finally {
    model.dispose();
  }
}
