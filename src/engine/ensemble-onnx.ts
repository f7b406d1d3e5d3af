/**
 * One-graph ONNX export of an ensemble (src/engine/ensemble.ts): the members' ONNX graphs side by side in one
 * model, every member's node, initializer and value name prefixed `m<i>/`, one shared input, then the combination
 * rule, so the output `logits` equals the in-process ensemble's and any ONNX consumer sees one model:
 *
 * - soft voting: per member Softmax(axis 1) and Mul by its weight wₘ, an Add chain, Clip at 1e-30 (the tfjs
 *   ensemble's max(·, 1e-30)), Log, and the row mean subtracted (ReduceMean, Sub): log p̄ − mean_k log p̄ with
 *   p̄ = Σ wₘ·softmax(zₘ). Differentiable: Rampart's ORT backward-graph gradients have a rule for every op.
 * - hard voting: per member ArgMax(axis 1, keepdims, first maximum on ties), one-hot by Equal with the constant
 *   class-index row [0 … K−1], Cast to float, Mul by wₘ, an Add chain, Add 1e-6, Log, centred the same way. ArgMax
 *   has no gradient, so `loadModel` on this file gives a forward-only (black-box) model: score- and decision-based
 *   attacks only.
 * - stacking (Wolpert 1992): per member Softmax(axis 1), Concat(axis 1) in member order, MatMul by the
 *   meta-learner's weights [M·K, K] and Add its bias [K]. Differentiable.
 *
 * Members must share the default-domain opset and the input declaration (same layout), hold no sub-graphs
 * (If/Loop) and have one output each; otherwise the combiner says which member differs, and the ensemble stays a
 * folder of member models (which `loadModel` reads as well).
 *
 * @example const bytes = combineEnsembleOnnx([{ name: 'a', bytes: a }, { name: 'b', bytes: b }], { kind: 'hard', weights: [0.5, 0.5] });
 */
import fs from 'node:fs';
import path from 'node:path';
import { onnxTypes } from './onnx/proto.js';
import { tf } from './tf.js';
import { createRandom } from './random.js';
import { RampartError } from '../errors.js';
import { ENSEMBLE_MANIFEST, StackedEnsemble, ensembleMemberSpec, readEnsembleManifest, type EnsembleModel } from './ensemble.js';
import { resolveModelSpec } from './load.js';

export interface OnnxMember {
  /** For messages. */
  name: string;
  bytes: Uint8Array;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf messages are walked field by field */
type Message = any;

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

function dimsOf(valueInfo: Message): string[] {
  const dims: Message[] = valueInfo?.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? String(toNumber(d.dimValue)) : '?'));
}

function defaultOpset(model: Message): number | undefined {
  const entry = (model.opsetImport as Message[]).find((o) => !o.domain);
  return entry ? toNumber(entry.version) : undefined;
}

/** How the members' logits zₘ become the ensemble's logits (the rules of src/engine/ensemble.ts). */
export type EnsembleOnnxCombination =
  /** log p̄ − mean_k log p̄, p̄ = Σ wₘ softmax(zₘ) (weights normalised here). */
  | { kind: 'soft'; weights: readonly number[] }
  /**
   * log(v + 1e-6) − its row mean, v = Σ wₘ onehot(argmax zₘ) (first maximum on ties; weights normalised here).
   * `numClasses` is needed only when the members' ONNX outputs leave the class count symbolic.
   */
  | { kind: 'hard'; weights: readonly number[]; numClasses?: number }
  /** concat(softmax(z₀), …, softmax(z_{M−1})) · W + b, W [M·K, K] row-major, b [K]. */
  | { kind: 'stacking'; metaWeights: ArrayLike<number>; metaBias: ArrayLike<number> };

/** Combines soft-voting members' ONNX graphs into one ONNX model whose output is the ensemble's logits. */
export function combineSoftVotingOnnx(members: readonly OnnxMember[], weights: readonly number[]): Uint8Array {
  return combineEnsembleOnnx(members, { kind: 'soft', weights });
}

const node = (name: string, opType: string, input: string[], output: string, attribute: Message[] = []): Message =>
  onnxTypes.NodeProto.fromObject({ name, opType, input, output: [output], attribute });
const intAttribute = (name: string, i: number): Message => ({ name, type: 2, i });

/**
 * Combines members' ONNX graphs into one ONNX model whose output `logits` is the ensemble's (soft or hard voting,
 * or stacking). Throws RampartError naming the member that cannot be combined and the fix.
 */
export function combineEnsembleOnnx(members: readonly OnnxMember[], combination: EnsembleOnnxCombination): Uint8Array {
  const where = 'combineEnsembleOnnx';
  if (members.length === 0) throw new RampartError('BAD_OPTION', `${where}: give at least one member.`);
  let weights: number[] = [];
  if (combination.kind !== 'stacking') {
    const raw = combination.weights;
    if (raw.length !== members.length) throw new RampartError('BAD_OPTION', `${where}: ${raw.length} weights for ${members.length} members; give one per member.`);
    if (raw.some((w) => !(Number.isFinite(w) && w >= 0)) || raw.every((w) => w === 0)) throw new RampartError('BAD_OPTION', `${where}: weights must be finite, non-negative and not all 0 (got [${raw.join(', ')}]).`);
    const total = raw.reduce((a, b) => a + b, 0);
    weights = raw.map((w) => w / total);
  }
  const decoded: Message[] = members.map((m) => onnxTypes.ModelProto.decode(m.bytes));
  const opset = defaultOpset(decoded[0]) ?? 13;
  const otherDomains = new Map<string, number>();
  let irVersion = 0;
  let inputInfo: Message | undefined;
  let outputDims: string[] | undefined;
  const nodes: Message[] = [];
  const initializers: Message[] = [];
  const valueInfos: Message[] = [];
  const memberLogits: string[] = [];
  decoded.forEach((model, i) => {
    const who = `member ${i} (${members[i].name})`;
    const graph = model.graph;
    if (!graph) throw new RampartError('MODEL_CORRUPT', `ONNX of ensemble ${who} has no graph; re-export that member.`);
    if ((defaultOpset(model) ?? 13) !== opset) {
      throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} uses ONNX opset ${defaultOpset(model)}, member 0 opset ${opset}; re-export the members with one opset to write a single-graph model.onnx.`);
    }
    for (const o of model.opsetImport as Message[]) {
      if (!o.domain) continue;
      const v = toNumber(o.version);
      if (otherDomains.has(o.domain) && otherDomains.get(o.domain) !== v) throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} imports ${o.domain} version ${v}, another member version ${otherDomains.get(o.domain)}; re-export with one version.`);
      otherDomains.set(o.domain, v);
    }
    irVersion = Math.max(irVersion, toNumber(model.irVersion ?? 7));
    const initNames = new Set<string>((graph.initializer as Message[]).map((t) => t.name));
    const realInputs = (graph.input as Message[]).filter((v) => !initNames.has(v.name));
    if (realInputs.length !== 1) throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} has ${realInputs.length} graph inputs; a single-graph export needs one input per member.`);
    if ((graph.output as Message[]).length !== 1) throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} has ${graph.output.length} graph outputs; a single-graph export needs one (the logits).`);
    const input = realInputs[0];
    const dims = dimsOf(input).slice(1);
    if (!inputInfo) inputInfo = input;
    else if (dims.join() !== dimsOf(inputInfo).slice(1).join()) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `Ensemble ${who}'s ONNX input is [${dims.join(', ')}] per sample, member 0's [${dimsOf(inputInfo).slice(1).join(', ')}] (another layout?); re-export the members with one input layout to write a single-graph model.onnx.`,
      );
    }
    const output = graph.output[0];
    const od = dimsOf(output);
    if (!outputDims || outputDims[1] === undefined || outputDims[1] === '?') outputDims = od;
    else if (od[1] !== undefined && od[1] !== '?' && od[1] !== outputDims[1]) {
      throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} outputs ${od[1]} classes, an earlier member ${outputDims[1]}; every member must score the same classes.`);
    }
    const prefix = `m${i}/`;
    const rename = (name: string) => (name === '' ? '' : name === input.name ? 'input' : prefix + name);
    for (const n of graph.node as Message[]) {
      if ((n.attribute as Message[]).some((a) => a.g || (a.graphs && a.graphs.length))) {
        throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} has a ${n.opType} node with a sub-graph; a single-graph export supports graphs without control flow.`);
      }
      n.input = (n.input as string[]).map(rename);
      n.output = (n.output as string[]).map(rename);
      n.name = n.name ? prefix + n.name : '';
      nodes.push(n);
    }
    for (const t of graph.initializer as Message[]) {
      t.name = rename(t.name);
      initializers.push(t);
    }
    for (const v of graph.valueInfo as Message[]) {
      v.name = rename(v.name);
      valueInfos.push(v);
    }
    memberLogits.push(rename(output.name));
  });
  const knownClasses = outputDims?.[1] !== undefined && outputDims[1] !== '?' ? Number(outputDims[1]) : undefined;
  let classes: number | undefined = knownClasses;
  let docString: string;
  const shownWeights = `w = [${weights.map((w) => +w.toPrecision(6)).join(', ')}]`;

  if (combination.kind === 'stacking') {
    const k = combination.metaBias.length;
    const m = members.length;
    if (knownClasses !== undefined && knownClasses !== k) throw new RampartError('MODEL_UNSUPPORTED', `The stacking meta-learner scores ${k} classes but the members' ONNX outputs have ${knownClasses}; retrain the stacked ensemble.`);
    if (combination.metaWeights.length !== m * k * k) throw new RampartError('MODEL_CORRUPT', `The stacking meta-learner must have ${m * k}×${k} weights for ${m} members of ${k} classes (got ${combination.metaWeights.length}); retrain the stacked ensemble.`);
    classes = k;
    const probabilities = memberLogits.map((z, i) => {
      const prob = `m${i}/ensemble_probability`;
      nodes.push(node(`m${i}/ensemble_softmax`, 'Softmax', [z], prob, [intAttribute('axis', 1)]));
      return prob;
    });
    nodes.push(node('ensemble_features', 'Concat', probabilities, 'ensemble_features', [intAttribute('axis', 1)]));
    initializers.push(floats('ensemble_meta_weights', [m * k, k], combination.metaWeights), floats('ensemble_meta_bias', [k], combination.metaBias));
    nodes.push(node('ensemble_meta_matmul', 'MatMul', ['ensemble_features', 'ensemble_meta_weights'], 'ensemble_meta_product'));
    nodes.push(node('ensemble_meta_bias', 'Add', ['ensemble_meta_product', 'ensemble_meta_bias'], 'logits'));
    docString = `stacking ensemble of ${m} members: logits = concat(softmax(zₘ)) · W + b, W [${m * k}, ${k}]`;
  } else {
    // per member: its weighted probabilities (soft) or its weighted one-hot vote (hard)
    const weighted = memberLogits.map((z, i) => {
      const prefix = `m${i}/`;
      let share: string;
      if (combination.kind === 'soft') {
        share = `${prefix}ensemble_probability`;
        nodes.push(node(`${prefix}ensemble_softmax`, 'Softmax', [z], share, [intAttribute('axis', 1)]));
      } else {
        classes ??= combination.numClasses;
        if (classes === undefined) throw new RampartError('MODEL_UNSUPPORTED', `${where}: the members' ONNX outputs leave the class count symbolic; pass numClasses for hard voting.`);
        if (i === 0) initializers.push(onnxTypes.TensorProto.fromObject({ name: 'ensemble_classes', dims: [1, classes], dataType: 7, int64Data: Array.from({ length: classes }, (_, c) => c) }));
        // ArgMax keeps the FIRST maximum on ties (select_last_index 0, its default before opset 12), as tf.argMax
        const argmaxAttributes = [intAttribute('axis', 1), intAttribute('keepdims', 1), ...(opset >= 12 ? [intAttribute('select_last_index', 0)] : [])];
        nodes.push(node(`${prefix}ensemble_argmax`, 'ArgMax', [z], `${prefix}ensemble_vote_class`, argmaxAttributes));
        nodes.push(node(`${prefix}ensemble_one_hot`, 'Equal', [`${prefix}ensemble_vote_class`, 'ensemble_classes'], `${prefix}ensemble_vote_mask`));
        share = `${prefix}ensemble_vote`;
        nodes.push(node(`${prefix}ensemble_cast`, 'Cast', [`${prefix}ensemble_vote_mask`], share, [intAttribute('to', 1)]));
      }
      const weightName = `${prefix}ensemble_weight`;
      initializers.push(floats(weightName, [], [weights[i]]));
      nodes.push(node(`${prefix}ensemble_mul`, 'Mul', [share, weightName], `${prefix}ensemble_weighted`));
      return `${prefix}ensemble_weighted`;
    });
    let sum = weighted[0];
    for (let i = 1; i < weighted.length; i++) {
      const out = `ensemble_sum_${i}`;
      nodes.push(node(out, 'Add', [sum, weighted[i]], out));
      sum = out;
    }
    if (combination.kind === 'soft') {
      // the tfjs ensemble's max(·, 1e-30)
      const floor = 1e-30;
      if (opset >= 11) {
        initializers.push(floats('ensemble_floor', [], [floor]));
        nodes.push(node('ensemble_clip', 'Clip', [sum, 'ensemble_floor'], 'ensemble_floored'));
      } else {
        nodes.push(node('ensemble_clip', 'Clip', [sum], 'ensemble_floored', [{ name: 'min', type: 1, f: floor }]));
      }
      docString = `soft-voting ensemble of ${members.length} members: logits = log p̄ − mean(log p̄), p̄ = Σ wₘ softmax(zₘ), ${shownWeights}`;
    } else {
      initializers.push(floats('ensemble_vote_floor', [], [1e-6]));
      nodes.push(node('ensemble_vote_floor', 'Add', [sum, 'ensemble_vote_floor'], 'ensemble_floored'));
      docString = `hard-voting ensemble of ${members.length} members: logits = log(v + 1e-6) − mean(log(v + 1e-6)), v = Σ wₘ onehot(argmax zₘ) (first maximum), ${shownWeights}`;
    }
    nodes.push(node('ensemble_log', 'Log', ['ensemble_floored'], 'ensemble_log_share'));
    if (opset >= 18) {
      initializers.push(onnxTypes.TensorProto.fromObject({ name: 'ensemble_axes', dims: [1], dataType: 7, int64Data: [1] }));
      nodes.push(node('ensemble_row_mean', 'ReduceMean', ['ensemble_log_share', 'ensemble_axes'], 'ensemble_row_mean', [intAttribute('keepdims', 1)]));
    } else {
      nodes.push(node('ensemble_row_mean', 'ReduceMean', ['ensemble_log_share'], 'ensemble_row_mean', [{ name: 'axes', type: 7, ints: [1] }, intAttribute('keepdims', 1)]));
    }
    // centred per row, as the tfjs ensembles
    nodes.push(node('ensemble_centre', 'Sub', ['ensemble_log_share', 'ensemble_row_mean'], 'logits'));
  }
  const inputDims = (inputInfo.type?.tensorType?.shape?.dim as Message[] | undefined) ?? [];
  const batchDim = outputDims?.[0] && outputDims[0] !== '?' ? { dimValue: Number(outputDims[0]) } : { dimParam: 'N' };
  const model = onnxTypes.ModelProto.fromObject({
    irVersion,
    producerName: 'rampart',
    docString,
    opsetImport: [{ domain: '', version: opset }, ...[...otherDomains].map(([domain, version]) => ({ domain, version }))],
    graph: {
      name: 'rampart-ensemble',
      input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: inputDims.map((d) => (d.dimParam ? { dimParam: d.dimParam } : d.dimValue ? { dimValue: toNumber(d.dimValue) } : {})) } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: 1, shape: { dim: [batchDim, classes !== undefined ? { dimValue: classes } : { dimParam: 'K' }] } } } }],
    },
  }) as Message;
  // decoded member messages go in as they are (re-encoding them through fromObject would copy every weight)
  model.graph.node = nodes;
  model.graph.initializer = initializers;
  model.graph.valueInfo = valueInfos;
  return onnxTypes.ModelProto.encode(model).finish();
}

/** A float32 initializer (raw little-endian data). */
function floats(name: string, dims: number[], values: ArrayLike<number>): Message {
  const raw = new Uint8Array(4 * values.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return onnxTypes.TensorProto.fromObject({ name, dims, dataType: 1, rawData: raw });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The ONNX file of one member spec: the .onnx itself, or the model.onnx beside a TF.js model.json. */
export function memberOnnxFile(spec: string): string | undefined {
  const resolved = resolveModelSpec(spec);
  if (resolved.kind === 'onnx') return resolved.file;
  if (resolved.kind === 'tfjs') {
    const twin = path.join(path.dirname(resolved.file), 'model.onnx');
    return fs.existsSync(twin) ? twin : undefined;
  }
  return undefined;
}

export interface EnsembleOnnxResult {
  /** The file written (DIR/model.onnx), when written. */
  file?: string;
  /** max |Δlogit| between ONNX Runtime on the file and the ensemble, on seeded inputs in bounds. */
  maxAbsLogitDifference?: number;
  /** Why no file was written. */
  skipped?: string;
}

/** The combination rule of an in-process ensemble. */
export function ensembleCombination(ensemble: EnsembleModel): EnsembleOnnxCombination {
  if (ensemble instanceof StackedEnsemble) return { kind: 'stacking', metaWeights: ensemble.metaWeights, metaBias: ensemble.metaBias };
  return ensemble.voting === 'hard' ? { kind: 'hard', weights: ensemble.weights, numClasses: ensemble.numClasses } : { kind: 'soft', weights: ensemble.weights };
}

/**
 * Writes DIR/model.onnx for the ensemble saved in DIR (ensemble.json + members; soft or hard voting, or stacking),
 * checks it through ONNX Runtime against `ensemble.logits` (16 seeded inputs, tolerance 1e-4), and records it in
 * ensemble.json. Returns why it did not when it cannot (a member without ONNX, incompatible members, a mismatch).
 */
export async function writeEnsembleOnnx(dir: string, ensemble: EnsembleModel, options: { tolerance?: number; seed?: number } = {}): Promise<EnsembleOnnxResult> {
  const manifest = readEnsembleManifest(dir);
  if (manifest.voting !== ensemble.voting) return { skipped: `${path.join(dir, ENSEMBLE_MANIFEST)} says ${manifest.voting} but the ensemble given votes ${ensemble.voting}; save the ensemble again` };
  const members: OnnxMember[] = [];
  for (const m of manifest.members) {
    const file = memberOnnxFile(ensembleMemberSpec(dir, m));
    if (!file) return { skipped: `member ${m} has no ONNX file (model.onnx beside its model.json); export it with rampart export` };
    members.push({ name: m, bytes: new Uint8Array(fs.readFileSync(file)) });
  }
  let bytes: Uint8Array;
  try {
    bytes = combineEnsembleOnnx(members, ensembleCombination(ensemble));
  } catch (e) {
    if (e instanceof RampartError) return { skipped: e.message };
    throw e;
  }
  const file = path.join(dir, 'model.onnx');
  const { loadOnnxModel } = await import('./onnx/index.js');
  const onnx = await loadOnnxModel(bytes, { forwardOnly: true, bounds: ensemble.bounds, id: file });
  let difference = Infinity;
  try {
    const size = ensemble.inputShape.reduce((a, b) => a * b, 1);
    const random = createRandom(options.seed ?? 0);
    const [low, high] = ensemble.bounds;
    const n = 16;
    const x = tf.tensor(Float32Array.from({ length: n * size }, () => low + (high - low) * random.next()), [n, ...ensemble.inputShape]);
    const a = await ensemble.logits(x);
    const b = await onnx.logits(x);
    const da = a.dataSync() as Float32Array;
    const db = b.dataSync() as Float32Array;
    difference = da.length === db.length ? da.reduce((m: number, v: number, i: number) => Math.max(m, Math.abs(v - db[i])), 0) : Infinity;
    tf.dispose([x, a, b]);
  } finally {
    onnx.dispose();
  }
  const tolerance = options.tolerance ?? 1e-4;
  if (!(difference <= tolerance)) {
    return { skipped: `the single-graph ONNX disagrees with the ensemble (max |Δlogit| ${difference}; a member's ONNX file may not match its TF.js model, e.g. a final softmax)`, maxAbsLogitDifference: difference };
  }
  fs.writeFileSync(file, bytes);
  const manifestFile = path.join(dir, ENSEMBLE_MANIFEST);
  const raw = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(manifestFile, JSON.stringify({ ...raw, onnx: 'model.onnx' }, null, 2) + '\n');
  return { file, maxAbsLogitDifference: difference };
}
