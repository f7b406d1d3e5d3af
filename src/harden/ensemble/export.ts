/**
 * Ensemble folders: `ensemble.json` (kind, voting, weights, member folders; the stacking meta-learner) beside one
 * sub-folder per member (TF.js model.json + weights.bin + model.onnx, each loadable by `loadModel`), and one
 * `model.onnx` holding the whole ensemble — soft or hard voting, or stacking (src/engine/ensemble-onnx.ts).
 * `loadModel(dir)` reads the folder back (src/engine/ensemble.ts); `loadEnsemble(dir)` is the same with tfjs
 * gradients.
 * @example await saveEnsemble('runs/bag', ensemble, members.map((m) => m.layersModel));
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { folderSaveHandler } from '../../engine/tfjs-io.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import { loadModel } from '../../engine/load.js';
import { RampartError } from '../../errors.js';
import { ENSEMBLE_MANIFEST, StackedEnsemble, type VotingEnsemble, readEnsembleFolder, type EnsembleManifest, type EnsembleModel } from '../../engine/ensemble.js';
import { writeEnsembleOnnx, type EnsembleOnnxResult } from '../../engine/ensemble-onnx.js';

export type { EnsembleManifest };

export interface SaveEnsembleOptions {
  /** Write the single-graph model.onnx (default true). */
  onnx?: boolean;
  /** Extra manifest fields (e.g. `method`). */
  extra?: Record<string, unknown>;
}

export interface SavedEnsemble {
  manifest: EnsembleManifest;
  onnx: EnsembleOnnxResult;
}

export async function saveEnsemble(dir: string, ensemble: VotingEnsemble | StackedEnsemble, layersModels: readonly LayersModel[], options: SaveEnsembleOptions = {}): Promise<SavedEnsemble> {
  if (layersModels.length !== ensemble.members.length) throw new RampartError('BAD_OPTION', 'saveEnsemble: give one LayersModel per member.');
  fs.mkdirSync(dir, { recursive: true });
  const members: string[] = [];
  for (let i = 0; i < layersModels.length; i++) {
    const name = `member-${i}`;
    const folder = path.join(dir, name);
    fs.mkdirSync(folder, { recursive: true });
    await layersModels[i].save(folderSaveHandler(folder));
    fs.writeFileSync(path.join(folder, 'model.onnx'), exportToOnnx(layersModels[i]));
    members.push(name);
  }
  const manifest: EnsembleManifest = {
    kind: 'rampart-ensemble',
    version: 1,
    voting: ensemble.voting,
    ...(ensemble instanceof StackedEnsemble ? { meta: { weights: [...ensemble.metaWeights], bias: [...ensemble.metaBias] } } : { weights: ensemble.weights }),
    members,
    ...options.extra,
  };
  fs.rmSync(path.join(dir, 'model.onnx'), { force: true });
  fs.writeFileSync(path.join(dir, ENSEMBLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  const onnx: EnsembleOnnxResult = options.onnx !== false ? await writeEnsembleOnnx(dir, ensemble) : { skipped: 'not requested' };
  return { manifest: onnx.file ? { ...manifest, onnx: 'model.onnx' } : manifest, onnx };
}

/** Reads an ensemble folder with tfjs gradients (members' logitsSync drive the ensemble's gradient). */
export async function loadEnsemble(dir: string): Promise<EnsembleModel> {
  return readEnsembleFolder(dir, (spec) => loadModel(spec, { gradients: 'tfjs' }), { id: `ensemble:${dir}` });
}
