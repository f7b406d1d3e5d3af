/**
 * The hardening training loop: one loop for plain, augmented, adversarial (PGD-AT, FGSM-RS, TRADES, ensemble),
 * certified (IBP, CROWN-IBP) and noise training, on either engine (ONNX Runtime or tfjs, see engines/).
 *
 * Each step: draw the batch (seeded per epoch), augment, build the objective — clean rows, adversarial rows
 * (mixed by `adversarial.mix`), mixup/cutmix rows with weights λ and 1−λ — take weight gradients, regularise and
 * clip them, and step the host optimizer at the scheduled learning rate. Each epoch: clean accuracy on the
 * validation data, robust accuracy under PGD-k (random start, restarts) on a fixed held-out subset, a JSONL line,
 * a resumable checkpoint, best-checkpoint tracking (`select`), robust early stopping (`patience`) and, for
 * FGSM methods, catastrophic-overfitting detection (stop and restore the last good weights).
 *
 * @example
 * const result = await hardenClassifier({ layersModel }, train, validation, { adversarial: { method: 'pgd', epsilon: 0.3 } });
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor2D } from '../engine/tf.js';
import { createRandom, permutation, type Random } from '../engine/random.js';
import { crossEntropy } from '../engine/losses.js';
import type { LoadedData } from '../data/load-all.js';
import { RampartError } from '../errors.js';
import { hardenOptionsSchema, selectionScore, type HardenOptions, type HardenOptionsInput } from './options.js';
import { createOptimizer } from './optimizer.js';
import { learningRateAt, rampValue } from './schedules.js';
import { createOrtEngine } from './engines/ort-engine.js';
import { createTfjsEngine, type ApplyNetwork, type TfjsTrainingEngine } from './engines/tfjs-engine.js';
import { sampleSize, type TrainingEngine } from './engines/engine.js';
import { createTrainingAttack } from './adversarial/builtin.js';
import { createPgdTrainingAttack } from './adversarial/pgd.js';
import { createFgsmTrainingAttack } from './adversarial/fgsm-rs.js';
import type { TrainingAttack, TrainingNorm } from './adversarial/define.js';
import { detectCatastrophicOverfitting, type OverfittingProbe } from './adversarial/overfitting.js';
import { tradesObjective } from './adversarial/trades.js';
import { certifiedObjective, crownIbpBeta } from './certified/objective.js';
import { createOrtIbpObjective, type OrtIbpObjective } from './certified/ort-ibp.js';
import { certifiedMarginBounds } from '../certify/training-bounds.js';
import { verifiedFromMargins } from '../certify/bounds/margins.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { SeededDropout } from './architectures.js';
import { createAugmentation } from './augment/builtin.js';
import type { Augmentation } from './augment/define.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { argmaxRows } from '../metrics/accuracy.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  epsilon: number;
  cleanAccuracy: number;
  robustAccuracy?: number;
  fgsmAccuracy?: number;
  /** Certified training: IBP-verified accuracy on the validation data at the evaluation ε. */
  verifiedAccuracy?: number;
  score: number;
  best: boolean;
  seconds: number;
  imagesPerSecond: number;
}

export type StopReason = 'completed' | 'early-stopping' | 'catastrophic-overfitting';

export interface HardenCallbacks {
  onEpochStart?(epoch: number): void;
  onBatchEnd?(info: { epoch: number; batch: number; batches: number; loss: number; learningRate: number; epsilon: number }): void;
  onEpochEnd?(record: EpochRecord): void;
  onCheckpoint?(file: string, epoch: number): void;
  onStop?(reason: StopReason, detail?: string): void;
}

export interface HardenModelSource {
  /** A TF.js LayersModel to train in place (its weights end as the selected checkpoint). */
  layersModel?: LayersModel;
  /** An ONNX model to fine-tune on ONNX Runtime (every op on the path needs a backward rule). */
  onnxBytes?: Uint8Array;
}

export interface HardenRunOptions {
  /** Folder for `checkpoint.json`; resumable runs need it. */
  checkpointDir?: string;
  resume?: boolean;
  /** JSONL log file (one line per epoch). */
  logFile?: string;
  bounds?: readonly [number, number];
  /** Stop (as if interrupted) after this many epochs of this call; the checkpoint lets a later call resume. */
  stopAfterEpochs?: number;
}

export interface HardenResult {
  engine: TrainingEngine;
  history: EpochRecord[];
  best?: { epoch: number; score: number };
  stopReason: StopReason;
  stopDetail?: string;
  options: HardenOptions;
  seconds: number;
}

export function parseHardenOptions(input: HardenOptionsInput): HardenOptions {
  const parsed = hardenOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid hardening options: ${issues}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/**
 * Whether the objective needs tfjs autodiff (no ONNX Runtime loss head for it). Certified training has ORT graphs
 * (`certified/ort-ibp.ts`: IBP for the ops it bounds, CROWN-IBP for MLPs); `auto` falls back to tfjs without them.
 */
export function needsTfjsEngine(o: HardenOptions): boolean {
  return o.labelSmoothing > 0 || o.adversarial.method === 'trades';
}

/** The model's seeded dropout layers (their call counters go into checkpoints). */
function seededDropouts(model: LayersModel | undefined): SeededDropout[] {
  return (model?.layers ?? []).filter((l): l is SeededDropout => l instanceof SeededDropout);
}

/** Layers whose training-mode behaviour differs from inference (ONNX Runtime runs the inference graph). */
function hasTrainingModeLayers(model: LayersModel | undefined): boolean {
  return (model?.layers ?? []).some((l) => ['Dropout', 'BatchNormalization'].includes(l.getClassName()));
}

interface ChosenEngine {
  engine: TrainingEngine;
  /** IBP certified training on ONNX Runtime, when the engine is ORT and the objective is IBP. */
  ibp?: OrtIbpObjective;
}

async function chooseEngine(source: HardenModelSource, o: HardenOptions): Promise<ChosenEngine> {
  const wantTfjs = o.engine === 'tfjs' || (o.engine === 'auto' && (needsTfjsEngine(o) || hasTrainingModeLayers(source.layersModel)));
  const tfjsOnly = 'This objective (label smoothing, TRADES, or a model with dropout/batch norm) needs the tfjs engine, which trains TF.js models only; ONNX models fine-tune on ONNX Runtime with pgd, fgsm-rs, fgsm, ensemble, ibp, crown-ibp (MLPs) or plain training.';
  if (wantTfjs) {
    if (!source.layersModel) throw new RampartError('BAD_OPTION', tfjsOnly);
    return { engine: createTfjsEngine(source.layersModel) };
  }
  if (o.engine === 'ort' && needsTfjsEngine(o)) throw new RampartError('BAD_OPTION', '--engine ort cannot train label smoothing or TRADES objectives; use --engine tfjs or auto.');
  let engine: TrainingEngine | undefined;
  try {
    const onnxBytes = source.onnxBytes ?? (source.layersModel ? exportToOnnx(source.layersModel) : undefined);
    engine = await createOrtEngine({ layersModel: source.layersModel, onnxBytes });
    const ibp = o.certified ? await createOrtIbpObjective(engine, onnxBytes!, { crownIbp: o.certified.method === 'crown-ibp' }) : undefined;
    return { engine, ibp };
  } catch (e) {
    await engine?.release();
    if (o.engine === 'ort' || !source.layersModel) throw e;
    return { engine: createTfjsEngine(source.layersModel) };
  }
}

/** Smoothed-label cross-entropy per sample: (1−s)·CE(y) + s·mean over classes of −log p. */
export function smoothedCrossEntropy(logits: Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Tensor1D {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const target = tf.add(tf.mul(tf.cast(tf.oneHot(labels, k), 'float32'), 1 - smoothing), smoothing / k);
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
  });
}

/**
 * IBP-verified accuracy (L∞ ball of radius ε ∩ bounds) of the engine's current weights on `data`, in chunks: the
 * ONNX Runtime IBP graph when the engine has one, else the tfjs bound of the LayersModel (the same bound, tested).
 */
export async function engineIbpVerifiedAccuracy(engine: TrainingEngine, ortIbp: OrtIbpObjective | undefined, data: LoadedData, epsilon: number, bounds: readonly [number, number], chunk = 250): Promise<number | undefined> {
  const model = engine.layersModel;
  if (data.count === 0 || (!ortIbp && !model)) return undefined;
  if (!ortIbp) engine.commit();
  const size = sampleSize(engine.sampleShape);
  let verified = 0;
  for (let start = 0; start < data.count; start += chunk) {
    const n = Math.min(chunk, data.count - start);
    const x = data.x.subarray(start * size, (start + n) * size);
    const y = data.y.subarray(start, start + n);
    const lower = ortIbp
      ? await ortIbp.marginLowerBounds(x, y, n, { epsilon, bounds })
      : tf.tidy(() => certifiedMarginBounds(model!, tf.tensor(x, [n, ...engine.sampleShape]), Int32Array.from(y), { method: 'ibp', epsilon, bounds: [bounds[0], bounds[1]] }).dataSync() as Float32Array);
    for (const ok of verifiedFromMargins(lower, Int32Array.from(y), engine.numClasses)) verified += ok;
  }
  return verified / data.count;
}

/** Accuracy of the engine on `data` (inference mode), in chunks. */
export async function engineAccuracy(engine: TrainingEngine, x: Float32Array, y: Int32Array, count: number, chunk = 500): Promise<number> {
  const size = sampleSize(engine.sampleShape);
  let correct = 0;
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const p = argmaxRows(await engine.logits(x.subarray(s * size, (s + n) * size), n), n, engine.numClasses);
    for (let i = 0; i < n; i++) if (p[i] === y[s + i]) correct++;
  }
  return count ? correct / count : 0;
}

/** Accuracy under an attack (a sample counts only if every restart leaves it correct). */
export async function engineRobustAccuracy(
  engine: TrainingEngine,
  attack: TrainingAttack,
  x: Float32Array,
  y: Int32Array,
  count: number,
  context: { norm: TrainingNorm; epsilon: number; bounds: readonly [number, number]; random: Random },
  restarts = 1,
  chunk = 250,
): Promise<number> {
  const size = sampleSize(engine.sampleShape);
  let robust = 0;
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const xs = x.subarray(s * size, (s + n) * size);
    const ys = y.subarray(s, s + n);
    const alive = new Uint8Array(n).fill(1);
    for (let r = 0; r < restarts; r++) {
      const adv = await attack.craft(xs, ys, n, { engine, ...context });
      const p = argmaxRows(await engine.logits(adv, n), n, engine.numClasses);
      for (let i = 0; i < n; i++) if (p[i] !== ys[i]) alive[i] = 0;
    }
    for (let i = 0; i < n; i++) robust += alive[i];
  }
  return count ? robust / count : 0;
}

const snapshot = (weights: Map<string, Float32Array>) => Object.fromEntries([...weights].map(([k, v]) => [k, Float32Array.from(v)]));
/**
 * Maps saved weight names onto the engine's: by name, or — when the names differ but the list matches in count
 * and sizes (tfjs numbers its layers per process, so the same architecture built twice has other names) — by
 * position.
 */
function savedNameMap(saved: Record<string, Float32Array>, engine: TrainingEngine): Map<string, string> {
  const entries = Object.entries(saved);
  const targets = [...engine.weights.entries()];
  if (entries.every(([k, v]) => engine.weights.get(k)?.length === v.length)) return new Map(entries.map(([k]) => [k, k]));
  if (entries.length === targets.length && entries.every(([, v], i) => targets[i][1].length === v.length)) return new Map(entries.map(([k], i) => [k, targets[i][0]]));
  throw new RampartError('BAD_OPTION', "The checkpoint's weights do not fit this model (different architecture); resume with the model the run started from.");
}

const renamed = (m: Record<string, Float32Array>, names: Map<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [names.get(k) ?? k, v]));

const restoreWeights = (engine: TrainingEngine, saved: Record<string, Float32Array>) => {
  const names = savedNameMap(saved, engine);
  for (const [k, v] of Object.entries(saved)) engine.weights.get(names.get(k)!)!.set(v);
  engine.weightsChanged();
};

/** Options that change what an epoch computes; a resumed run must match them. */
function optionsKey(o: HardenOptions): string {
  const { patience: _p, ...rest } = o;
  return JSON.stringify(rest);
}

export async function hardenClassifier(
  source: HardenModelSource,
  train: LoadedData,
  validation: LoadedData,
  input: HardenOptionsInput,
  callbacks: HardenCallbacks = {},
  run: HardenRunOptions = {},
): Promise<HardenResult> {
  const o = parseHardenOptions(input);
  if (train.count === 0) throw new RampartError('DATA_SPEC', 'The training data is empty. Check --data, --offset and --limit.');
  if (validation.count === 0) throw new RampartError('DATA_SPEC', 'The validation data is empty; give --val-data or a --val-split above 0.');
  const started = performance.now();
  const bounds = run.bounds ?? ([0, 1] as const);
  const { engine, ibp: ortIbp } = await chooseEngine(source, o);
  const size = sampleSize(engine.sampleShape);
  if (size !== sampleSize(train.sampleShape)) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `The model takes samples of shape [${engine.sampleShape.join(', ')}] but the data has [${train.sampleShape.join(', ')}].`);
  }
  const optimizer = createOptimizer({ ...o.optimizer });
  const augmentations: Augmentation[] = o.augment.map((spec) => createAugmentation(spec));
  const adv = o.adversarial;
  const norm = adv.norm as TrainingNorm;
  const attacks: TrainingAttack[] =
    adv.method === 'ensemble'
      ? adv.attacks.map((id) => createTrainingAttack(id))
      : adv.method === 'pgd'
        ? [createPgdTrainingAttack({ steps: adv.steps, stepFactor: adv.stepFactor })]
        : adv.method === 'fgsm-rs'
          ? [createFgsmTrainingAttack({ stepFactor: adv.stepFactor ?? 1.25 })]
          : adv.method === 'fgsm'
            ? [createFgsmTrainingAttack({ randomStart: false })]
            : [];
  const targetEpsilon = o.certified?.epsilon ?? adv.epsilon;
  const evalEpsilon = o.evaluation.epsilon ?? (o.certified ? o.certified.epsilon : adv.method === 'none' ? 0 : adv.epsilon);
  const evalNorm = (o.evaluation.norm ?? norm) as TrainingNorm;
  const evalAttack = createPgdTrainingAttack({ steps: o.evaluation.steps });
  const fgsmProbe = createFgsmTrainingAttack({ randomStart: false });
  const detectOverfitting = adv.method === 'fgsm-rs' || adv.method === 'fgsm';
  const robustCount = Math.min(o.evaluation.robustSamples, validation.count);
  const stepsPerEpoch = Math.ceil(train.count / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;

  let epoch = 0;
  let step = 0;
  let history: EpochRecord[] = [];
  let best: Checkpoint['best'];
  let lastGood: Checkpoint['lastGood'];
  let sinceBest = 0;
  const checkpointFile = run.checkpointDir ? path.join(run.checkpointDir, 'checkpoint.json') : undefined;
  if (run.resume) {
    if (!checkpointFile) throw new RampartError('BAD_OPTION', 'resume needs a checkpoint folder (--out DIR of the earlier run).');
    const c = readCheckpoint(checkpointFile);
    if (c.optionsKey !== optionsKey(o)) throw new RampartError('BAD_OPTION', `The checkpoint in ${checkpointFile} was made with different options; resume with the same options (only --patience may change).`);
    if (c.engine !== engine.kind) throw new RampartError('BAD_OPTION', `The checkpoint was made by the ${c.engine} engine; pass --engine ${c.engine}.`);
    const names = savedNameMap(c.weights, engine);
    restoreWeights(engine, c.weights);
    optimizer.restore({ steps: c.optimizer.steps, first: renamed(c.optimizer.first, names), second: renamed(c.optimizer.second, names) });
    ({ epoch, step, history, sinceBest } = c);
    best = c.best && { ...c.best, weights: renamed(c.best.weights, names) };
    lastGood = c.lastGood && { ...c.lastGood, weights: renamed(c.lastGood.weights, names) };
    seededDropouts(source.layersModel).forEach((layer, i) => (layer.callCount = c.dropoutCalls?.[i] ?? 0));
  }
  const probes: OverfittingProbe[] = history.filter((h) => h.fgsmAccuracy !== undefined).map((h) => ({ pgd: h.robustAccuracy!, fgsm: h.fgsmAccuracy! }));
  let stopReason: StopReason = 'completed';
  let stopDetail: string | undefined;
  const log = (record: EpochRecord) => {
    if (run.logFile) {
      fs.mkdirSync(path.dirname(run.logFile), { recursive: true });
      fs.appendFileSync(run.logFile, JSON.stringify(record) + '\n');
    }
  };
  const subsetX = validation.x.subarray(0, robustCount * size);
  const subsetY = validation.y.subarray(0, robustCount);

  const probeOverfitting = async (random: Random, count: number): Promise<OverfittingProbe> => {
    const context = { norm: evalNorm, epsilon: evalEpsilon, bounds, random };
    const n = Math.min(count, robustCount);
    return {
      pgd: await engineRobustAccuracy(engine, evalAttack, subsetX.subarray(0, n * size), subsetY.subarray(0, n), n, context),
      fgsm: await engineRobustAccuracy(engine, fgsmProbe, subsetX.subarray(0, n * size), subsetY.subarray(0, n), n, context),
    };
  };

  const startEpoch = epoch;
  try {
    training: while (epoch < o.epochs && (run.stopAfterEpochs === undefined || epoch - startEpoch < run.stopAfterEpochs)) {
      epoch++;
      callbacks.onEpochStart?.(epoch);
      const epochStarted = performance.now();
      // Randomness per (seed, epoch): a resumed run draws exactly what the uninterrupted run would.
      const random = createRandom((o.seed * 1_000_003 + epoch * 7919) >>> 0);
      const order = permutation(train.count, random);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let learningRate = o.learningRate;
      let epsilon = targetEpsilon;
      for (let b = 0; b < stepsPerEpoch; b++) {
        const idx = order.subarray(b * o.batchSize, Math.min(train.count, (b + 1) * o.batchSize));
        const n = idx.length;
        let x = new Float32Array(n * size) as Float32Array<ArrayBufferLike>;
        let labels = new Int32Array(n) as Int32Array<ArrayBufferLike>;
        for (let i = 0; i < n; i++) {
          x.set(train.x.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
          labels[i] = train.y[idx[i]];
        }
        let mixLabels: Int32Array | undefined;
        let lambda: Float32Array | undefined;
        for (const a of augmentations) {
          const r = a.apply({ x, labels, count: n, sampleShape: train.sampleShape }, random);
          x = r.x;
          labels = r.labels;
          if (r.mixLabels) {
            mixLabels = r.mixLabels;
            lambda = r.lambda;
          }
        }
        learningRate = learningRateAt(o.schedule, o.learningRate, step, totalSteps, stepsPerEpoch);
        const progress = step / totalSteps;
        epsilon = rampValue(o.certified ? o.certified.ramp : adv.ramp, targetEpsilon, progress);

        // Rows of the objective: (samples, label, weight); weights sum to 1 over the batch.
        const rowX: Float32Array[] = [];
        const rowY: number[] = [];
        const rowW: number[] = [];
        const addRows = (xs: Float32Array, share: number) => {
          if (share === 0) return;
          rowX.push(xs);
          for (let i = 0; i < n; i++) {
            const l = lambda ? lambda[i] : 1;
            rowY.push(labels[i]);
            rowW.push((share * l) / n);
          }
          if (mixLabels && lambda) {
            rowX.push(xs);
            for (let i = 0; i < n; i++) {
              rowY.push(mixLabels[i]);
              rowW.push((share * (1 - lambda[i])) / n);
            }
          }
        };
        let gradients: Map<string, Float32Array>;
        let batchLoss: number;
        let logits: Float32Array | undefined;
        if (adv.method === 'trades' || o.certified) {
          let result: { gradients: Map<string, Float32Array>; value: number; logits?: Float32Array };
          if (adv.method === 'trades') {
            result = await tradesObjective(engine as TfjsTrainingEngine, x, labels, n, { epsilon, norm, steps: adv.steps, stepFactor: adv.stepFactor, beta: adv.beta, bounds, random });
          } else {
            const certified = o.certified!;
            const kappa = rampValue({ from: certified.kappaStart, start: certified.ramp.start, end: certified.ramp.end }, certified.kappaEnd, progress);
            const rampDone = Math.min(1, progress / Math.max(certified.ramp.end, 1e-9));
            result = ortIbp
              ? await ortIbp.compute(x, labels, n, { epsilon, kappa, bounds, beta: certified.method === 'crown-ibp' ? crownIbpBeta(rampDone) : 0 })
              : certifiedObjective(engine as TfjsTrainingEngine, x, labels, n, { method: certified.method, epsilon, bounds, kappa, progress: rampDone });
          }
          gradients = result.gradients;
          batchLoss = result.value;
          logits = result.logits;
        } else {
          if (adv.mix < 1 || attacks.length === 0) addRows(x, attacks.length === 0 ? 1 : 1 - adv.mix);
          if (attacks.length > 0) {
            const attack = attacks.length === 1 ? attacks[0] : attacks[random.int(attacks.length)];
            const xAdv = await attack.craft(x, labels, n, { engine, norm, epsilon, bounds, random });
            addRows(xAdv, adv.mix);
          }
          const total = rowY.length;
          const stacked = new Float32Array(total * size);
          let offset = 0;
          for (const part of rowX) {
            stacked.set(part, offset);
            offset += part.length;
          }
          const weights = Float32Array.from(rowW);
          if (o.labelSmoothing > 0) {
            const tfjsEngine = engine as TfjsTrainingEngine;
            const labelTensor = Int32Array.from(rowY);
            const result = tfjsEngine.objectiveGradients((apply: ApplyNetwork) => {
              const z = apply(tf.tensor(stacked, [total, ...engine.sampleShape]), true);
              logits = z.dataSync().slice(0, n * engine.numClasses) as Float32Array;
              return tf.sum(tf.mul(smoothedCrossEntropy(z, tf.tensor1d(labelTensor, 'int32'), o.labelSmoothing), tf.tensor1d(weights))) as tf.Scalar;
            });
            gradients = result.gradients;
            batchLoss = result.value;
          } else {
            const result = await engine.weightGradients(stacked, rowY, weights, total);
            gradients = result.gradients;
            let s = 0;
            for (let i = 0; i < total; i++) s += weights[i] * result.loss[i];
            batchLoss = s;
            logits = result.logits.subarray(0, n * engine.numClasses);
          }
        }
        optimizer.step(engine.weights, gradients, learningRate);
        engine.weightsChanged();
        step++;
        lossSum += batchLoss * n;
        seen += n;
        if (logits) {
          const p = argmaxRows(logits, n, engine.numClasses);
          for (let i = 0; i < n; i++) if (p[i] === labels[i]) correct++;
        }
        callbacks.onBatchEnd?.({ epoch, batch: b + 1, batches: stepsPerEpoch, loss: batchLoss, learningRate, epsilon });
        if (detectOverfitting && o.overfittingEvery > 0 && (b + 1) % o.overfittingEvery === 0) {
          probes.push(await probeOverfitting(createRandom(o.seed + step), 128));
          const verdict = detectCatastrophicOverfitting(probes, o.overfittingDrop);
          if (verdict.fired) {
            stopReason = 'catastrophic-overfitting';
            stopDetail = verdict.reason;
            break training;
          }
        }
      }
      const trainSeconds = (performance.now() - epochStarted) / 1000;
      // Evaluation: fixed evaluation randomness so epochs compare like with like.
      const cleanAccuracy = await engineAccuracy(engine, validation.x, validation.y, validation.count);
      let robustAccuracy: number | undefined;
      let fgsmAccuracy: number | undefined;
      if (robustCount > 0 && evalEpsilon > 0) {
        const context = { norm: evalNorm, epsilon: evalEpsilon, bounds, random: createRandom(o.seed + 17) };
        robustAccuracy = await engineRobustAccuracy(engine, evalAttack, subsetX, subsetY, robustCount, context, o.evaluation.restarts);
        if (detectOverfitting) fgsmAccuracy = await engineRobustAccuracy(engine, fgsmProbe, subsetX, subsetY, robustCount, context);
      }
      const verifiedAccuracy = o.certified && evalEpsilon > 0 && evalNorm === 'linf' ? await engineIbpVerifiedAccuracy(engine, ortIbp, validation, evalEpsilon, bounds) : undefined;
      // Selection only counts epochs trained at the full ε (a ramping model's robust accuracy is not comparable).
      const rampEnd = o.certified ? o.certified.ramp.end : adv.ramp?.end ?? 0;
      const eligible = step / totalSteps >= rampEnd - 1e-9 || o.select === 'clean' || o.select === 'last';
      const score = selectionScore(o.select, cleanAccuracy, robustAccuracy, epoch, verifiedAccuracy);
      const isBest = eligible && (!best || score > best.score);
      if (isBest) {
        best = { epoch, score, weights: snapshot(engine.weights) };
        sinceBest = 0;
      } else if (eligible) sinceBest++;
      const record: EpochRecord = {
        epoch,
        loss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        learningRate,
        epsilon,
        cleanAccuracy,
        robustAccuracy,
        fgsmAccuracy,
        verifiedAccuracy,
        score,
        best: isBest,
        seconds: (performance.now() - epochStarted) / 1000,
        imagesPerSecond: seen / trainSeconds,
      };
      history.push(record);
      log(record);
      callbacks.onEpochEnd?.(record);
      if (detectOverfitting && robustAccuracy !== undefined && fgsmAccuracy !== undefined) {
        probes.push({ pgd: robustAccuracy, fgsm: fgsmAccuracy });
        const verdict = detectCatastrophicOverfitting(probes, o.overfittingDrop);
        if (verdict.fired) {
          stopReason = 'catastrophic-overfitting';
          stopDetail = verdict.reason;
          break;
        }
        if (verdict.bestIndex === probes.length - 1) lastGood = { epoch, weights: snapshot(engine.weights) };
      }
      if (checkpointFile) {
        writeCheckpoint(checkpointFile, {
          version: 1,
          engine: engine.kind,
          epoch,
          step,
          weights: snapshot(engine.weights),
          optimizer: optimizer.state(),
          history,
          best,
          lastGood,
          sinceBest,
          dropoutCalls: seededDropouts(source.layersModel).map((l) => l.callCount),
          optionsKey: optionsKey(o),
        });
        callbacks.onCheckpoint?.(checkpointFile, epoch);
      }
      if (o.patience > 0 && sinceBest >= o.patience) {
        stopReason = 'early-stopping';
        stopDetail = `no better ${o.select} score for ${o.patience} epochs (best at epoch ${best?.epoch})`;
        break;
      }
    }
    if (stopReason === 'catastrophic-overfitting') {
      const restore = lastGood ?? best;
      if (restore) restoreWeights(engine, restore.weights);
      stopDetail = `${stopDetail}; restored the weights of epoch ${restore?.epoch ?? 'none (initial)'}`;
    } else if (best && o.select !== 'last') restoreWeights(engine, best.weights);
    engine.commit();
    await ortIbp?.release();
    callbacks.onStop?.(stopReason, stopDetail);
    return {
      engine,
      history,
      best: best && { epoch: best.epoch, score: best.score },
      stopReason,
      stopDetail,
      options: o,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    await ortIbp?.release();
    await engine.release();
    throw e;
  }
}

/** Cross-entropy of logits (re-exported for objectives). */
export { crossEntropy };
