/**
 * Ensemble folders: `ensemble.json` (kind, voting, weights, member folders) beside one sub-folder per member
 * (TF.js model.json + weights.bin + model.onnx, each loadable by `loadModel`). `loadEnsemble(dir)` reads it back.
 * (loadModel itself does not read ensemble folders; a soft-voting ensemble as one ONNX graph is not exported —
 * see docs/harden.md.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { folderSaveHandler } from '../../engine/tfjs-io.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import { loadModel } from '../../engine/load.js';
import type { Model } from '../../engine/model.js';
import { RampartError } from '../../errors.js';
import { VotingEnsemble } from './voting.js';

export interface EnsembleManifest {
  kind: 'rampart-ensemble';
  version: 1;
  voting: 'soft' | 'hard';
  weights: number[];
  members: string[];
}

export async function saveEnsemble(dir: string, ensemble: VotingEnsemble, layersModels: readonly LayersModel[]): Promise<EnsembleManifest> {
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
  const manifest: EnsembleManifest = { kind: 'rampart-ensemble', version: 1, voting: ensemble.voting, weights: ensemble.weights, members };
  fs.writeFileSync(path.join(dir, 'ensemble.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export async function loadEnsemble(dir: string): Promise<VotingEnsemble> {
  const file = path.join(dir, 'ensemble.json');
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `No ensemble.json in ${dir}; save one with saveEnsemble.`);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as EnsembleManifest;
  if (manifest.kind !== 'rampart-ensemble') throw new RampartError('MODEL_CORRUPT', `${file} is not a Rampart ensemble manifest.`);
  const members: Model[] = [];
  for (const m of manifest.members) members.push(await loadModel(path.join(dir, m), { gradients: 'tfjs' }));
  return new VotingEnsemble(members, { voting: manifest.voting, weights: manifest.weights, id: `ensemble:${dir}` });
}
