/**
 * One-graph ONNX export of a soft-voting ensemble: the members' ONNX graphs side by side in one model, every
 * member's node, initializer and value name prefixed `m<i>/`, one shared input, then per member Softmax(axis 1)
 * and Mul by its weight wₘ, an Add chain, Clip at 1e-30 (as the tfjs ensemble's max(·, 1e-30)), Log, and the
 * row-mean subtracted (ReduceMean, Sub) — so the output `logits` is the ensemble's log p̄ − mean_k log p̄ with
 * p̄ = Σ wₘ·softmax(zₘ), and any ONNX consumer (ONNX Runtime, Rampart's ORT backward-graph gradients: Softmax,
 * Mul, Add, Clip, Log, ReduceMean and Sub all have backward rules) sees one model.
 *
 * Hard voting (argmax votes) is not differentiable and is not exported as one graph; stacking is not exported
 * either (its folder loads through `loadModel`). Members must share the default-domain opset and the input
 * declaration (same layout), hold no sub-graphs (If/Loop) and have one output each; otherwise the combiner says
 * which member differs, and the ensemble stays a folder of member models.
 *
 * @example const bytes = combineSoftVotingOnnx([{ name: 'a', bytes: a }, { name: 'b', bytes: b }], [0.5, 0.5]);
 */
import fs from 'node:fs';
import path from 'node:path';
import { onnxTypes } from './onnx/proto.js';
import { tf } from './tf.js';
import { createRandom } from './random.js';
import { RampartError } from '../errors.js';
import { ENSEMBLE_MANIFEST, ensembleMemberSpec, readEnsembleManifest, type VotingEnsemble } from './ensemble.js';
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

/** Combines soft-voting members' ONNX graphs into one ONNX model whose output is the ensemble's logits. */
export function combineSoftVotingOnnx(members: readonly OnnxMember[], weights: readonly number[]): Uint8Array {
  if (members.length === 0) throw new RampartError('BAD_OPTION', 'combineSoftVotingOnnx: give at least one member.');
  if (weights.length !== members.length) throw new RampartError('BAD_OPTION', `combineSoftVotingOnnx: ${weights.length} weights for ${members.length} members; give one per member.`);
  const total = weights.reduce((a, b) => a + b, 0);
  const decoded: Message[] = members.map((m) => onnxTypes.ModelProto.decode(m.bytes));
  const opset = defaultOpset(decoded[0]);
  const otherDomains = new Map<string, number>();
  let irVersion = 0;
  let inputInfo: Message | undefined;
  let outputDims: string[] | undefined;
  const nodes: Message[] = [];
  const initializers: Message[] = [];
  const valueInfos: Message[] = [];
  const probabilities: string[] = [];
  decoded.forEach((model, i) => {
    const who = `member ${i} (${members[i].name})`;
    const graph = model.graph;
    if (!graph) throw new RampartError('MODEL_CORRUPT', `ONNX of ensemble ${who} has no graph; re-export that member.`);
    if (defaultOpset(model) !== opset) {
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
    if (!outputDims) outputDims = od;
    const prefix = `m${i}/`;
    const rename = (name: string) => (name === '' ? '' : name === input.name ? 'input' : prefix + name);
    for (const node of graph.node as Message[]) {
      if ((node.attribute as Message[]).some((a) => a.g || (a.graphs && a.graphs.length))) {
        throw new RampartError('MODEL_UNSUPPORTED', `Ensemble ${who} has a ${node.opType} node with a sub-graph; a single-graph export supports graphs without control flow.`);
      }
      node.input = (node.input as string[]).map(rename);
      node.output = (node.output as string[]).map(rename);
      node.name = node.name ? prefix + node.name : '';
      nodes.push(node);
    }
    for (const t of graph.initializer as Message[]) {
      t.name = rename(t.name);
      initializers.push(t);
    }
    for (const v of graph.valueInfo as Message[]) {
      v.name = rename(v.name);
      valueInfos.push(v);
    }
    const prob = `${prefix}ensemble_probability`;
    const weighted = `${prefix}ensemble_weighted`;
    const weightName = `${prefix}ensemble_weight`;
    nodes.push(onnxTypes.NodeProto.fromObject({ name: `${prefix}ensemble_softmax`, opType: 'Softmax', input: [rename(output.name)], output: [prob], attribute: [{ name: 'axis', type: 2, i: 1 }] }));
    initializers.push(scalar(weightName, weights[i] / total));
    nodes.push(onnxTypes.NodeProto.fromObject({ name: `${prefix}ensemble_mul`, opType: 'Mul', input: [prob, weightName], output: [weighted] }));
    probabilities.push(weighted);
  });
  let sum = probabilities[0];
  for (let i = 1; i < probabilities.length; i++) {
    const out = `ensemble_sum_${i}`;
    nodes.push(onnxTypes.NodeProto.fromObject({ name: out, opType: 'Add', input: [sum, probabilities[i]], output: [out] }));
    sum = out;
  }
  const floor = 1e-30;
  if ((opset ?? 13) >= 11) {
    initializers.push(scalar('ensemble_floor', floor));
    nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_clip', opType: 'Clip', input: [sum, 'ensemble_floor'], output: ['ensemble_clipped'] }));
  } else {
    nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_clip', opType: 'Clip', input: [sum], output: ['ensemble_clipped'], attribute: [{ name: 'min', type: 1, f: floor }] }));
  }
  nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_log', opType: 'Log', input: ['ensemble_clipped'], output: ['ensemble_log_probability'] }));
  if ((opset ?? 13) >= 18) {
    initializers.push(onnxTypes.TensorProto.fromObject({ name: 'ensemble_axes', dims: [1], dataType: 7, int64Data: [1] }));
    nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_row_mean', opType: 'ReduceMean', input: ['ensemble_log_probability', 'ensemble_axes'], output: ['ensemble_row_mean'], attribute: [{ name: 'keepdims', type: 2, i: 1 }] }));
  } else {
    nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_row_mean', opType: 'ReduceMean', input: ['ensemble_log_probability'], output: ['ensemble_row_mean'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 1 }] }));
  }
  nodes.push(onnxTypes.NodeProto.fromObject({ name: 'ensemble_centre', opType: 'Sub', input: ['ensemble_log_probability', 'ensemble_row_mean'], output: ['logits'] }));
  const inputDims = (inputInfo.type?.tensorType?.shape?.dim as Message[] | undefined) ?? [];
  const model = onnxTypes.ModelProto.fromObject({
    irVersion,
    producerName: 'rampart',
    docString: `soft-voting ensemble of ${members.length} members: logits = log p̄ − mean(log p̄), p̄ = Σ wₘ softmax(zₘ), w = [${weights.map((w) => +(w / total).toPrecision(6)).join(', ')}]`,
    opsetImport: [{ domain: '', version: opset ?? 13 }, ...[...otherDomains].map(([domain, version]) => ({ domain, version }))],
    graph: {
      name: 'rampart-ensemble',
      input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: inputDims.map((d) => (d.dimParam ? { dimParam: d.dimParam } : d.dimValue ? { dimValue: toNumber(d.dimValue) } : {})) } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: 1, shape: { dim: [outputDims?.[0] && outputDims[0] !== '?' ? { dimValue: Number(outputDims[0]) } : { dimParam: 'N' }, ...(outputDims?.[1] && outputDims[1] !== '?' ? [{ dimValue: Number(outputDims[1]) }] : [{ dimParam: 'K' }])] } } } }],
    },
  }) as Message;
  // decoded member messages go in as they are (re-encoding them through fromObject would copy every weight)
  model.graph.node = nodes;
  model.graph.initializer = initializers;
  model.graph.valueInfo = valueInfos;
  return onnxTypes.ModelProto.encode(model).finish();
}

function scalar(name: string, value: number): Message {
  const raw = new Uint8Array(4);
  new DataView(raw.buffer).setFloat32(0, value, true);
  return onnxTypes.TensorProto.fromObject({ name, dims: [], dataType: 1, rawData: raw });
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

/**
 * Writes DIR/model.onnx for the soft-voting ensemble saved in DIR (ensemble.json + members), checks it through
 * ONNX Runtime against `ensemble.logits` (16 seeded inputs, tolerance 1e-4), and records it in ensemble.json.
 * Returns why it did not when it cannot (hard voting, stacking, a member without ONNX, incompatible members).
 */
export async function writeEnsembleOnnx(dir: string, ensemble: VotingEnsemble, options: { tolerance?: number; seed?: number } = {}): Promise<EnsembleOnnxResult> {
  const manifest = readEnsembleManifest(dir);
  if (manifest.voting !== 'soft' || ensemble.voting !== 'soft') return { skipped: 'hard voting and stacking are not written as one ONNX graph (argmax votes have no gradient); the members are' };
  const members: OnnxMember[] = [];
  for (const m of manifest.members) {
    const file = memberOnnxFile(ensembleMemberSpec(dir, m));
    if (!file) return { skipped: `member ${m} has no ONNX file (model.onnx beside its model.json); export it with rampart export` };
    members.push({ name: m, bytes: new Uint8Array(fs.readFileSync(file)) });
  }
  let bytes: Uint8Array;
  try {
    bytes = combineSoftVotingOnnx(members, ensemble.weights);
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
