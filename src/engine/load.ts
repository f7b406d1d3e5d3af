/**
 * Model specs → models. A spec is `builtin:NAME` (a reference model shipped in the package's `models/`),
 * a path to an `.onnx` file, a path to a TF.js `model.json`, a folder holding either, or an ensemble folder
 * (one holding `ensemble.json`, see ensemble.ts; it wins over a model.onnx beside it).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { RampartError } from '../errors.js';
import type { Bounds, Model } from './model.js';
import { loadTfjsModel } from './tfjs-model.js';
import { ENSEMBLE_MANIFEST, checkEnsembleMembers, ensembleMemberSpec, readEnsembleFolder, readEnsembleManifest } from './ensemble.js';

export type ModelKind = 'tfjs' | 'onnx' | 'ensemble';

export interface ResolvedModelSpec {
  spec: string;
  kind: ModelKind;
  /** The file that defines the model (model.json, .onnx, or ensemble.json). */
  file: string;
  /** Files whose bytes define the model (for hashing). */
  files: string[];
  /** Contents of the `rampart.json` sidecar beside the model, if any. */
  sidecar?: ModelSidecar;
}

/** Provenance written beside every model Rampart trains or ships. */
export interface ModelSidecar {
  name?: string;
  arch?: string;
  command?: string;
  seed?: number;
  data?: string;
  testData?: string;
  testAccuracy?: number;
  bounds?: [number, number];
  [key: string]: unknown;
}

export interface LoadModelOptions {
  /** Input layout of an ONNX model; 'auto' (default) detects it. */
  layout?: 'auto' | 'nchw' | 'nhwc';
  bounds?: Bounds;
  /** Gradient engine: 'auto' (ONNX Runtime backward graphs where possible) or 'tfjs'. */
  gradients?: 'auto' | 'tfjs';
}

/** Root of the installed package (holds `models/`), found from this file's location in src/ or dist/. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function builtinModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

export function builtinModelNames(): string[] {
  const dir = builtinModelsDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'model.json')) || fs.existsSync(path.join(dir, name, 'model.onnx')))
    .sort();
}

function readSidecar(folder: string): ModelSidecar | undefined {
  const file = path.join(folder, 'rampart.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ModelSidecar;
  } catch {
    return undefined;
  }
}

function weightFiles(modelJson: string): string[] {
  try {
    const json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
    return (json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => path.join(path.dirname(modelJson), p)));
  } catch {
    return [];
  }
}

/** An ensemble folder: its manifest and every member's files (members resolved in turn). */
function resolveEnsemble(spec: string, manifestFile: string): ResolvedModelSpec {
  const folder = path.dirname(manifestFile);
  const manifest = readEnsembleManifest(folder);
  checkEnsembleMembers(folder, manifest);
  const files = [manifestFile, ...manifest.members.flatMap((m) => resolveModelSpec(ensembleMemberSpec(folder, m)).files)];
  return { spec, kind: 'ensemble', file: manifestFile, files, sidecar: readSidecar(folder) };
}

function resolveFile(spec: string, file: string): ResolvedModelSpec {
  const folder = path.dirname(file);
  if (path.basename(file) === ENSEMBLE_MANIFEST) return resolveEnsemble(spec, file);
  if (file.toLowerCase().endsWith('.onnx')) {
    return { spec, kind: 'onnx', file, files: [file], sidecar: readSidecar(folder) };
  }
  return { spec, kind: 'tfjs', file, files: [file, ...weightFiles(file)], sidecar: readSidecar(folder) };
}

export function resolveModelSpec(spec: string): ResolvedModelSpec {
  if (spec.startsWith('builtin:')) {
    const name = spec.slice('builtin:'.length);
    const folder = path.join(builtinModelsDir(), name);
    const names = builtinModelNames();
    if (!names.includes(name)) {
      throw new RampartError(
        'FILE_NOT_FOUND',
        `There is no built-in model "${name}". Built-in models: ${names.map((n) => `builtin:${n}`).join(', ') || '(none installed)'}.`,
        { spec },
      );
    }
    const json = path.join(folder, 'model.json');
    return resolveFile(spec, fs.existsSync(json) ? json : path.join(folder, 'model.onnx'));
  }
  const target = path.resolve(spec);
  if (!fs.existsSync(target)) {
    throw new RampartError(
      'FILE_NOT_FOUND',
      `Model ${spec} does not exist. Give a path to an .onnx file, a TF.js model.json or its folder, or builtin:NAME (${builtinModelNames()
        .map((n) => `builtin:${n}`)
        .join(', ')}).`,
      { spec },
    );
  }
  if (fs.statSync(target).isDirectory()) {
    const ensemble = path.join(target, ENSEMBLE_MANIFEST);
    if (fs.existsSync(ensemble)) return resolveEnsemble(spec, ensemble);
    const json = path.join(target, 'model.json');
    if (fs.existsSync(json)) return resolveFile(spec, json);
    const onnx = fs.readdirSync(target).filter((f) => f.toLowerCase().endsWith('.onnx'));
    if (onnx.length === 1) return resolveFile(spec, path.join(target, onnx[0]));
    throw new RampartError(
      'FILE_NOT_FOUND',
      `Folder ${spec} holds no model.json and ${onnx.length === 0 ? 'no' : 'several'} .onnx files. Point --model at one model file.`,
      { spec },
    );
  }
  return resolveFile(spec, target);
}

/** sha256 over the bytes of every file that defines the model, in order. */
export function modelSha256(resolved: ResolvedModelSpec): string {
  const hash = crypto.createHash('sha256');
  for (const file of resolved.files) hash.update(fs.readFileSync(file));
  return hash.digest('hex');
}

export async function loadModel(spec: string, options: LoadModelOptions = {}): Promise<Model> {
  const resolved = resolveModelSpec(spec);
  if (resolved.kind === 'ensemble') {
    return readEnsembleFolder(path.dirname(resolved.file), (member) => loadModel(member, options), { id: spec });
  }
  const bounds = options.bounds ?? resolved.sidecar?.bounds ?? [0, 1];
  if (resolved.kind === 'onnx') {
    const { loadOnnxModel } = await import('./onnx/index.js');
    return loadOnnxModel(resolved.file, { id: spec, layout: options.layout ?? 'auto', bounds, gradients: options.gradients ?? 'auto' });
  }
  return loadTfjsModel(resolved.file, { id: spec, bounds, gradients: options.gradients ?? 'auto' });
}
