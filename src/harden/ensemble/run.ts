/**
 * What `rampart ensemble` runs, as library calls:
 * - `runEnsembleTraining(config)`: K members trained by the hardening loop (`hardenClassifier`, so members can be
 *   adversarially, noise- or certifiably trained with the same options as `rampart harden`) inside bagging
 *   (bootstrap, soft vote), boosting (SAMME, α-weighted hard vote) or stacking (out-of-fold meta-learner); then
 *   per-member and ensemble clean accuracy and mean disagreement on the test data, and the folder: ensemble.json,
 *   member-i/ (TF.js + model.onnx), model.onnx (the whole ensemble, one graph) and rampart.json (command, seed, figures).
 * - `combineEnsemble(config)`: an ensemble of existing models (copied into the folder) with given weights/voting.
 * Seeded: member m of a run with seed s trains with seed s + m (bagging/boosting) and draws its bootstrap or
 * resample from s too, so a run repeats exactly on the same backend.
 * @example await runEnsembleTraining({ method: 'bagging', members: 3, harden: parseHardenConfig({ out: 'runs/bag', model: 'mlp' }) });
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RampartError } from '../../errors.js';
import { openDataset } from '../../data/open.js';
import { loadAll, type LoadedData } from '../../data/load-all.js';
import { loadModel, resolveModelSpec, modelSha256 } from '../../engine/load.js';
import { TfjsModel } from '../../engine/tfjs-model.js';
import { tf } from '../../engine/tf.js';
import type { Model } from '../../engine/model.js';
import { ENSEMBLE_MANIFEST, StackedEnsemble, VotingEnsemble, isEnsemble, type EnsembleManifest, type EnsembleModel } from '../../engine/ensemble.js';
import { writeEnsembleOnnx, type EnsembleOnnxResult } from '../../engine/ensemble-onnx.js';
import { buildArchitecture, architectureNames, type ArchitectureName } from '../architectures.js';
import { hardenClassifier } from '../loop.js';
import { hardenOptionsOf, loadTrainingSplits, type HardenConfig } from '../run.js';
import { sampleSize } from '../engines/engine.js';
import { trainBagging, trainBoosting, trainStacking, type MemberTrainer } from './train.js';
import { saveEnsemble, type SavedEnsemble } from './export.js';
import { argmaxRows } from '../../metrics/accuracy.js';

export const ensembleTrainingSchema = z
  .object({
    method: z.enum(['bagging', 'boosting', 'stacking']),
    /** Number of members (boosting: at most this many rounds). */
    members: z.number().int().min(1).max(50).default(3),
    /** Voting of bagging (default soft) or boosting (default hard, SAMME's). */
    voting: z.enum(['soft', 'hard']).optional(),
    /** Stacking folds. */
    folds: z.number().int().min(2).max(20).default(3),
  })
  .strict();
export type EnsembleTrainingOptions = z.output<typeof ensembleTrainingSchema>;

export interface EnsembleFigures {
  /** Test data the figures are on. */
  testData: string;
  testCount: number;
  memberAccuracy: number[];
  accuracy: number;
  /** Mean per-sample disagreement (weighted fraction of members that disagree with the ensemble). */
  meanDisagreement: number;
  /** Accuracy on the lower and upper half of the samples sorted by disagreement (ties by index). */
  lowDisagreementAccuracy: number;
  highDisagreementAccuracy: number;
  /** Fraction of samples with disagreement > 0, and the accuracy on them. */
  disagreedFraction: number;
  disagreedAccuracy: number | null;
}

export interface EnsembleSummary {
  out: string;
  method: string;
  voting: 'soft' | 'hard' | 'stacking';
  members: string[];
  weights: number[];
  seed: number;
  format: string;
  inputShape: number[];
  numClasses: number;
  trainCount?: number;
  validation?: { spec: string; count: number };
  figures?: EnsembleFigures;
  boosting?: { errors: number[]; alphas: number[] };
  onnx: EnsembleOnnxResult;
  seconds: number;
}

export interface EnsembleCallbacks {
  onMemberStart?(index: number, total: number, seed: number): void;
  onMemberEnd?(index: number, seconds: number): void;
}

async function predict(model: Model, data: LoadedData, chunk = 500): Promise<Int32Array> {
  const size = sampleSize(data.sampleShape);
  const out = new Int32Array(data.count);
  for (let s = 0; s < data.count; s += chunk) {
    const n = Math.min(chunk, data.count - s);
    const x = tf.tensor(data.x.subarray(s * size, (s + n) * size), [n, ...data.sampleShape]);
    const z = await model.logits(x);
    out.set(argmaxRows(z.dataSync() as Float32Array, n, model.numClasses), s);
    tf.dispose([x, z]);
  }
  return out;
}

/** Per-sample disagreement of an ensemble over a data set, in chunks. */
export async function ensembleDisagreement(ensemble: EnsembleModel, data: LoadedData, chunk = 500): Promise<Float32Array> {
  const size = sampleSize(data.sampleShape);
  const out = new Float32Array(data.count);
  for (let s = 0; s < data.count; s += chunk) {
    const n = Math.min(chunk, data.count - s);
    const x = tf.tensor(data.x.subarray(s * size, (s + n) * size), [n, ...data.sampleShape]);
    out.set(await ensemble.disagreement(x), s);
    x.dispose();
  }
  return out;
}

/**
 * How disagreement relates to errors: accuracy on the less- and more-disagreed halves (sorted by disagreement,
 * stable), and on the samples where any member disagreed.
 */
export function disagreementVersusErrors(disagreement: ArrayLike<number>, correct: ArrayLike<boolean>): Omit<EnsembleFigures, 'testData' | 'testCount' | 'memberAccuracy' | 'accuracy'> {
  const n = disagreement.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => disagreement[a] - disagreement[b] || a - b);
  const half = Math.floor(n / 2);
  const acc = (idx: number[]) => (idx.length ? idx.filter((i) => correct[i]).length / idx.length : 0);
  const disagreed = order.filter((i) => disagreement[i] > 1e-6);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += disagreement[i];
  return {
    meanDisagreement: n ? sum / n : 0,
    lowDisagreementAccuracy: acc(order.slice(0, half)),
    highDisagreementAccuracy: acc(order.slice(half)),
    disagreedFraction: n ? disagreed.length / n : 0,
    disagreedAccuracy: disagreed.length ? acc(disagreed) : null,
  };
}

/** Per-member and ensemble accuracy and disagreement figures on `data`. */
export async function ensembleFigures(ensemble: EnsembleModel, data: LoadedData, spec: string): Promise<EnsembleFigures> {
  const memberAccuracy: number[] = [];
  for (const m of ensemble.members) {
    const p = await predict(m, data);
    memberAccuracy.push(data.count ? p.filter((c, i) => c === data.y[i]).length / data.count : 0);
  }
  const p = await predict(ensemble, data);
  const correct = Array.from(p, (c, i) => c === data.y[i]);
  const disagreement = await ensembleDisagreement(ensemble, data);
  return {
    testData: spec,
    testCount: data.count,
    memberAccuracy,
    accuracy: data.count ? correct.filter(Boolean).length / data.count : 0,
    ...disagreementVersusErrors(disagreement, correct),
  };
}

function defaultTestSpec(trainSpec: string): string | undefined {
  const match = /^(mnist|fashion-mnist):train$/.exec(trainSpec);
  return match ? `${match[1]}:test` : undefined;
}

/** Trains an ensemble with the hardening loop per member and writes its folder (see the file header). */
export async function runEnsembleTraining(
  input: z.input<typeof ensembleTrainingSchema>,
  config: HardenConfig,
  callbacks: EnsembleCallbacks = {},
  extra: { command?: string; backend?: string } = {},
): Promise<EnsembleSummary> {
  const parsed = ensembleTrainingSchema.safeParse(input);
  if (!parsed.success) throw new RampartError('BAD_OPTION', `Invalid ensemble options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  const options = parsed.data;
  if (config.resume) throw new RampartError('BAD_OPTION', 'rampart ensemble cannot --resume; rerun it (members are seeded, so a rerun repeats them).');
  const started = performance.now();
  const { trainSet, train, validation, validationSpec } = await loadTrainingSplits(config);
  const numClasses = trainSet.numClasses;
  const isArch = (architectureNames as readonly string[]).includes(config.model);
  if (!isArch && resolveModelSpec(config.model).kind !== 'tfjs') {
    throw new RampartError('BAD_OPTION', `rampart ensemble trains members from cnn, mlp or a TF.js model (builtin:NAME, model.json); ${config.model} is not one. Combine ONNX models with --members instead.`);
  }
  let count = 0;
  const total = options.method === 'stacking' ? options.members * (options.folds + 1) : options.members;
  const trainer: MemberTrainer = async (data, seed) => {
    callbacks.onMemberStart?.(count, total, seed);
    const memberStarted = performance.now();
    let model: TfjsModel;
    if (isArch) {
      const network = buildArchitecture(config.model as ArchitectureName, trainSet.sampleShape, numClasses, seed, { batchNorm: config.batchNorm, dropout: config.dropout, hidden: config.hidden });
      model = TfjsModel.fromLayersModel(network, { id: `${config.model}-${seed}` });
    } else {
      const loaded = await loadModel(config.model, { gradients: 'tfjs' });
      if (!(loaded instanceof TfjsModel) || !loaded.layersModel) {
        loaded.dispose();
        throw new RampartError('MODEL_UNSUPPORTED', `${config.model} is not a TF.js LayersModel; ensemble members are trained from cnn, mlp or a LayersModel.`);
      }
      model = loaded;
    }
    const result = await hardenClassifier({ layersModel: model.layersModel }, data, validation, { ...hardenOptionsOf(config), seed });
    await result.engine.release();
    callbacks.onMemberEnd?.(count++, (performance.now() - memberStarted) / 1000);
    return model;
  };
  let ensemble: EnsembleModel;
  let boosting: EnsembleSummary['boosting'];
  if (options.method === 'bagging') {
    const bag = await trainBagging(train, options.members, trainer, config.seed);
    ensemble = options.voting === 'hard' ? new VotingEnsemble(bag.members, { voting: 'hard', id: bag.id }) : bag;
  } else if (options.method === 'boosting') {
    const result = await trainBoosting(train, numClasses, options.members, trainer, config.seed);
    ensemble = options.voting === 'soft' ? new VotingEnsemble(result.ensemble.members, { voting: 'soft', weights: result.alphas, id: result.ensemble.id }) : result.ensemble;
    boosting = { errors: result.errors, alphas: result.alphas };
  } else {
    ensemble = (await trainStacking(train, numClasses, Array.from({ length: options.members }, () => trainer), options.folds, config.seed)).ensemble;
  }
  try {
    const testSpec = config.testData ?? defaultTestSpec(trainSet.spec);
    const testData = testSpec ? await loadAll(await openDataset(testSpec, { limit: config.testLimit })) : validation;
    const figures = await ensembleFigures(ensemble, testData, testSpec ?? validationSpec);
    const saved: SavedEnsemble = await saveEnsemble(
      config.out,
      ensemble,
      ensemble.members.map((m) => (m as TfjsModel).layersModel!),
      { extra: { method: options.method } },
    );
    const summary: EnsembleSummary = {
      out: config.out,
      method: options.method,
      voting: ensemble.voting,
      members: saved.manifest.members,
      weights: ensemble.weights,
      seed: config.seed,
      format: ensemble.format,
      inputShape: [...ensemble.inputShape],
      numClasses: ensemble.numClasses,
      trainCount: train.count,
      validation: { spec: validationSpec, count: validation.count },
      figures,
      boosting,
      onnx: saved.onnx,
      seconds: (performance.now() - started) / 1000,
    };
    writeSidecar(config.out, summary, {
      command: extra.command,
      backend: extra.backend,
      data: trainSet.spec,
      base: config.model,
      options: { ...options, harden: { ...config, out: undefined, resume: undefined } },
    });
    return summary;
  } finally {
    ensemble.dispose();
  }
}

function writeSidecar(out: string, summary: EnsembleSummary, extra: Record<string, unknown>): void {
  const sidecar = {
    name: path.basename(path.resolve(out)),
    kind: 'ensemble',
    method: summary.method,
    voting: summary.voting,
    command: extra.command,
    seed: summary.seed,
    data: extra.data,
    trainCount: summary.trainCount,
    validation: summary.validation,
    testData: summary.figures?.testData,
    testCount: summary.figures?.testCount,
    testAccuracy: summary.figures?.accuracy,
    memberTestAccuracy: summary.figures?.memberAccuracy,
    disagreement: summary.figures && {
      mean: summary.figures.meanDisagreement,
      lowHalfAccuracy: summary.figures.lowDisagreementAccuracy,
      highHalfAccuracy: summary.figures.highDisagreementAccuracy,
      disagreedFraction: summary.figures.disagreedFraction,
      disagreedAccuracy: summary.figures.disagreedAccuracy,
    },
    members: summary.members,
    weights: summary.weights,
    boosting: summary.boosting,
    onnx: summary.onnx,
    inputShape: summary.inputShape,
    numClasses: summary.numClasses,
    bounds: [0, 1],
    ...extra,
    trainingSeconds: summary.seconds,
  };
  fs.writeFileSync(path.join(out, 'rampart.json'), JSON.stringify(sidecar, null, 2) + '\n');
}

export const combineEnsembleSchema = z
  .object({
    members: z.array(z.string().min(1)).min(1),
    weights: z.array(z.number()).optional(),
    voting: z.enum(['soft', 'hard']).default('soft'),
    out: z.string().min(1),
    /** Evaluate on this data (optional). */
    data: z.string().optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();
export type CombineEnsembleConfig = z.input<typeof combineEnsembleSchema>;

/** Copies the files that define one model into `folder` (model.json + weights + model.onnx twin, or the .onnx). */
function copyMember(spec: string, folder: string): void {
  const resolved = resolveModelSpec(spec);
  if (resolved.kind === 'ensemble') throw new RampartError('BAD_OPTION', `--members ${spec} is itself an ensemble; list its members instead.`);
  fs.mkdirSync(folder, { recursive: true });
  if (resolved.kind === 'onnx') {
    fs.copyFileSync(resolved.file, path.join(folder, 'model.onnx'));
  } else {
    const base = path.dirname(resolved.file);
    for (const f of resolved.files) {
      const target = path.join(folder, path.relative(base, f));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(f, target);
    }
    const twin = path.join(base, 'model.onnx');
    if (fs.existsSync(twin)) fs.copyFileSync(twin, path.join(folder, 'model.onnx'));
  }
  const sidecar = path.join(path.dirname(resolved.file), 'rampart.json');
  if (fs.existsSync(sidecar)) fs.copyFileSync(sidecar, path.join(folder, 'rampart.json'));
}

/** An ensemble of existing models: members copied into `out`, ensemble.json, the single-graph ONNX. */
export async function combineEnsemble(input: CombineEnsembleConfig, extra: { command?: string } = {}): Promise<EnsembleSummary> {
  const parsed = combineEnsembleSchema.safeParse(input);
  if (!parsed.success) throw new RampartError('BAD_OPTION', `Invalid ensemble options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  const config = parsed.data;
  const started = performance.now();
  if (config.weights && config.weights.length !== config.members.length) {
    throw new RampartError('BAD_OPTION', `--weights has ${config.weights.length} values for ${config.members.length} --members; give one weight per member.`);
  }
  // Load every member first: a broken member or a shape mismatch stops before anything is written.
  const models: Model[] = [];
  try {
    for (let i = 0; i < config.members.length; i++) {
      try {
        models.push(await loadModel(config.members[i]));
      } catch (e) {
        throw new RampartError(e instanceof RampartError ? e.code : 'MODEL_CORRUPT', `--members ${config.members[i]} (member ${i}) does not load: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    new VotingEnsemble(models, { voting: config.voting, weights: config.weights, memberNames: config.members });
  } finally {
    for (const m of models) m.dispose();
  }
  const outDir = path.resolve(config.out) + path.sep;
  config.members.forEach((m, i) => {
    if (!m.startsWith('builtin:') && resolveModelSpec(m).files.some((f) => path.resolve(f).startsWith(outDir))) {
      throw new RampartError('BAD_OPTION', `--members ${m} (member ${i}) lies inside --out ${config.out}, which is rewritten; give another --out folder.`);
    }
  });
  fs.mkdirSync(config.out, { recursive: true });
  fs.rmSync(path.join(config.out, 'model.onnx'), { force: true });
  const names = config.members.map((m, i) => {
    const name = `member-${i}`;
    fs.rmSync(path.join(config.out, name), { recursive: true, force: true });
    copyMember(m, path.join(config.out, name));
    return name;
  });
  const manifest: EnsembleManifest = { kind: 'rampart-ensemble', version: 1, voting: config.voting, weights: config.weights, members: names, method: 'combined', sources: config.members } as EnsembleManifest;
  fs.writeFileSync(path.join(config.out, ENSEMBLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  const ensemble = await loadModel(config.out);
  try {
    if (!isEnsemble(ensemble) || ensemble instanceof StackedEnsemble) throw new RampartError('INTERNAL', `${config.out} did not load as a voting ensemble.`);
    const onnx: EnsembleOnnxResult = await writeEnsembleOnnx(config.out, ensemble);
    let figures: EnsembleFigures | undefined;
    if (config.data) {
      const data = await openDataset(config.data, { limit: config.limit });
      figures = await ensembleFigures(ensemble, await loadAll(data), data.spec);
    }
    const summary: EnsembleSummary = {
      out: config.out,
      method: 'combined',
      voting: ensemble.voting,
      members: names,
      weights: ensemble.weights,
      seed: 0,
      format: ensemble.format,
      inputShape: [...ensemble.inputShape],
      numClasses: ensemble.numClasses,
      figures,
      onnx,
      seconds: (performance.now() - started) / 1000,
    };
    writeSidecar(config.out, summary, { command: extra.command, sources: config.members });
    return summary;
  } finally {
    ensemble.dispose();
  }
}

/** sha256 of the ensemble folder's defining files (manifest + members), for result envelopes. */
export function ensembleSha256(dir: string): string {
  return modelSha256(resolveModelSpec(dir));
}
