/**
 * One complete hardening run from a config value (what `rampart harden` and each `rampart sweep` grid point
 * execute): resolve the model (a fresh seeded architecture `cnn`/`mlp`, a TF.js model or builtin to fine-tune,
 * or an ONNX file to fine-tune on ONNX Runtime), load and split the data, train with `hardenClassifier`, and write
 * the output folder: TF.js (`model.json`, `weights.bin`), `model.onnx` (checked against TF.js), `rampart.json`
 * (command, seed, data, options, per-epoch history, clean and robust figures), `training.jsonl`, `checkpoint.json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RampartError } from '../errors.js';
import { openDataset } from '../data/open.js';
import type { Dataset } from '../data/dataset.js';
import { loadAll, subsetOf, type LoadedData } from '../data/load-all.js';
import { loadModel, resolveModelSpec } from '../engine/load.js';
import { TfjsModel } from '../engine/tfjs-model.js';
import { folderSaveHandler } from '../engine/tfjs-io.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { verifyOnnxExport } from '../engine/export-verify.js';
import { createRandom, permutation } from '../engine/random.js';
import { buildArchitecture, architectureNames, type ArchitectureName } from './architectures.js';
import { hardenOptionsSchema, type HardenOptions } from './options.js';
import { engineAccuracy, engineRobustAccuracy, hardenClassifier, type HardenCallbacks, type HardenResult } from './loop.js';
import { exportFineTunedOnnx } from './engines/ort-engine.js';
import { createPgdTrainingAttack } from './adversarial/pgd.js';

export const hardenConfigSchema = hardenOptionsSchema.extend({
  /** `cnn` / `mlp` (fresh, seeded), `builtin:NAME`, a TF.js model.json or folder, or an .onnx file. */
  model: z.string().min(1).default('cnn'),
  /** Architecture extras for a fresh model. */
  batchNorm: z.boolean().default(false),
  dropout: z.number().min(0).max(0.9).default(0),
  /** Hidden Dense widths of a fresh mlp (default [256, 256]) or of the cnn's dense part (default [128]). */
  hidden: z.array(z.number().int().positive()).min(1).optional(),
  data: z.string().min(1).default('mnist:train'),
  limit: z.number().int().positive().optional(),
  /** Held-out data for per-epoch evaluation and selection; default: `valSplit` samples split off the training data. */
  valData: z.string().optional(),
  valSplit: z.number().int().min(0).default(500),
  /** Final test data (default: the :test split of mnist/fashion-mnist training data). */
  testData: z.string().optional(),
  testLimit: z.number().int().positive().optional(),
  out: z.string().min(1),
  name: z.string().optional(),
  resume: z.boolean().default(false),
});
export type HardenConfig = z.output<typeof hardenConfigSchema>;
export type HardenConfigInput = z.input<typeof hardenConfigSchema>;

export function parseHardenConfig(input: unknown, where = 'config'): HardenConfig {
  const parsed = hardenConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid ${where}: ${issues}. See docs/harden.md for the fields.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

export interface HardenSummary {
  name: string;
  out: string;
  model: string;
  data: string;
  trainCount: number;
  validation: { spec: string; count: number };
  test?: { spec: string; count: number; cleanAccuracy: number; robustAccuracy?: number; robustSamples?: number; attack?: string };
  engine: 'ort' | 'tfjs';
  best?: { epoch: number; score: number };
  stopReason: string;
  stopDetail?: string;
  seconds: number;
  history: HardenResult['history'];
}

/** The training options inside a config (the loop's schema is strict). */
export function hardenOptionsOf(config: HardenConfig): HardenOptions {
  return Object.fromEntries(Object.keys(hardenOptionsSchema.shape).map((k) => [k, config[k as keyof HardenConfig]])) as HardenOptions;
}

function defaultTestSpec(trainSpec: string): string | undefined {
  const match = /^(mnist|fashion-mnist):train$/.exec(trainSpec);
  return match ? `${match[1]}:test` : undefined;
}

/** The training data of a config and its validation data: --val-data, or --val-split samples held out (seeded). */
export async function loadTrainingSplits(config: Pick<HardenConfig, 'data' | 'limit' | 'valData' | 'valSplit' | 'seed'>): Promise<{
  trainSet: Dataset;
  train: LoadedData;
  validation: LoadedData;
  validationSpec: string;
}> {
  const trainSet = await openDataset(config.data, { limit: config.limit });
  const all = await loadAll(trainSet);
  if (config.valData) {
    const v = await openDataset(config.valData);
    return { trainSet, train: all, validation: await loadAll(v), validationSpec: v.spec };
  }
  if (config.valSplit <= 0 || config.valSplit >= all.count) throw new RampartError('BAD_OPTION', `--val-split ${config.valSplit} must be between 1 and ${all.count - 1} (or give --val-data).`);
  const order = permutation(all.count, createRandom(config.seed + 99));
  return {
    trainSet,
    train: subsetOf(all, order.subarray(config.valSplit)),
    validation: subsetOf(all, order.subarray(0, config.valSplit)),
    validationSpec: `${trainSet.spec} (${config.valSplit} held out, seed ${config.seed + 99})`,
  };
}

export async function runHarden(config: HardenConfig, callbacks: HardenCallbacks = {}, extra: { command?: string; backend?: string } = {}): Promise<HardenSummary> {
  const { trainSet, train, validation, validationSpec } = await loadTrainingSplits(config);
  const numClasses = trainSet.numClasses;
  const isArch = (architectureNames as readonly string[]).includes(config.model);
  let tfjsModel: TfjsModel | undefined;
  let onnxBytes: Uint8Array | undefined;
  if (isArch) {
    const network = buildArchitecture(config.model as ArchitectureName, trainSet.sampleShape, numClasses, config.seed, { batchNorm: config.batchNorm, dropout: config.dropout, hidden: config.hidden });
    tfjsModel = TfjsModel.fromLayersModel(network, { id: `rampart-${config.model}` });
  } else {
    const resolved = resolveModelSpec(config.model);
    if (resolved.kind === 'onnx') onnxBytes = new Uint8Array(fs.readFileSync(resolved.file));
    else {
      const loaded = await loadModel(config.model, { gradients: 'tfjs' });
      if (!(loaded instanceof TfjsModel) || !loaded.layersModel) {
        loaded.dispose();
        throw new RampartError('MODEL_UNSUPPORTED', `${config.model} is not a TF.js LayersModel; fine-tuning needs a LayersModel (model.json of type "layers-model") or an .onnx file.`);
      }
      tfjsModel = loaded;
    }
  }
  fs.mkdirSync(config.out, { recursive: true });
  const logFile = path.join(config.out, 'training.jsonl');
  if (!config.resume && fs.existsSync(logFile)) fs.rmSync(logFile);
  const result = await hardenClassifier(
    { layersModel: tfjsModel?.layersModel, onnxBytes },
    train,
    validation,
    hardenOptionsOf(config),
    callbacks,
    { checkpointDir: config.out, resume: config.resume, logFile },
  );
  const { engine } = result;
  try {
    // Final figures on the test data with the loop's PGD (the CLI's `rampart attack` is the reference figure).
    const testSpec = config.testData ?? defaultTestSpec(trainSet.spec);
    let test: HardenSummary['test'];
    if (testSpec) {
      const t = await loadAll(await openDataset(testSpec, { limit: config.testLimit }));
      const cleanAccuracy = await engineAccuracy(engine, t.x, t.y, t.count);
      const eps = config.evaluation.epsilon ?? config.certified?.epsilon ?? (config.adversarial.method === 'none' ? 0 : config.adversarial.epsilon);
      test = { spec: testSpec, count: t.count, cleanAccuracy };
      if (eps > 0 && config.evaluation.robustSamples > 0) {
        const n = Math.min(t.count, config.evaluation.robustSamples);
        const steps = 20;
        test.robustAccuracy = await engineRobustAccuracy(
          engine,
          createPgdTrainingAttack({ steps }),
          t.x,
          t.y,
          n,
          { norm: (config.evaluation.norm ?? config.adversarial.norm) as 'linf' | 'l2', epsilon: eps, bounds: [0, 1], random: createRandom(config.seed + 5) },
        );
        test.robustSamples = n;
        test.attack = `PGD-${steps} (α = 2.5ε/${steps}), random start, training engine; the reference figure is rampart attack's`;
      }
    }
    const name = config.name ?? path.basename(path.resolve(config.out));
    const sidecarBase = {
      name,
      arch: isArch ? config.model : undefined,
      baseModel: isArch ? undefined : config.model,
      command: extra.command,
      seed: config.seed,
      data: trainSet.spec,
      trainCount: train.count,
      validation: { spec: validationSpec, count: validation.count },
      testData: test?.spec,
      testCount: test?.count,
      testAccuracy: test?.cleanAccuracy,
      robustness: test?.robustAccuracy !== undefined ? { norm: config.adversarial.norm, epsilon: config.evaluation.epsilon ?? config.certified?.epsilon ?? config.adversarial.epsilon, accuracy: test.robustAccuracy, samples: test.robustSamples, attack: test.attack } : undefined,
      bounds: [0, 1],
      inputShape: [...engine.sampleShape],
      numClasses: engine.numClasses,
      engine: engine.kind,
      backend: extra.backend,
      options: { ...config, out: undefined, resume: undefined },
      best: result.best,
      stopReason: result.stopReason,
      stopDetail: result.stopDetail,
      trainingSeconds: result.seconds,
      history: result.history,
    };
    let onnxCheck: unknown;
    if (tfjsModel?.layersModel) {
      const layersModel = tfjsModel.layersModel;
      await layersModel.save(folderSaveHandler(config.out));
      const bytes = exportToOnnx(layersModel, { producer: 'rampart' });
      const check = await verifyOnnxExport(tfjsModel, bytes);
      if (check.maxAbsLogitDifference > check.tolerance) throw new RampartError('INTERNAL', `ONNX export of the hardened model disagrees with TF.js (max |Δlogit| ${check.maxAbsLogitDifference}).`);
      fs.writeFileSync(path.join(config.out, 'model.onnx'), bytes);
      onnxCheck = check;
    } else if (onnxBytes) {
      fs.writeFileSync(path.join(config.out, 'model.onnx'), exportFineTunedOnnx(onnxBytes, engine.weights));
    }
    fs.writeFileSync(path.join(config.out, 'rampart.json'), JSON.stringify({ ...sidecarBase, onnxCheck }, null, 2) + '\n');
    return {
      name,
      out: config.out,
      model: config.model,
      data: trainSet.spec,
      trainCount: train.count,
      validation: { spec: validationSpec, count: validation.count },
      test,
      engine: engine.kind,
      best: result.best,
      stopReason: result.stopReason,
      stopDetail: result.stopDetail,
      seconds: result.seconds,
      history: result.history,
    };
  } finally {
    await engine.release();
    tfjsModel?.dispose();
  }
}
