/**
 * Reading and writing TF.js model folders (`model.json` + weight shards) on the local file system.
 * tfjs' own `file://` handler lives in tfjs-node, which cannot be installed here, so Rampart ships its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from './tf.js';
import { RampartError } from '../errors.js';

type ModelJson = tf.io.ModelJSON;

export interface TfjsArtifacts {
  json: ModelJson;
  artifacts: tf.io.ModelArtifacts;
}

function readJson(file: string): ModelJson {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new RampartError('FILE_NOT_FOUND', `Model file ${file} does not exist or cannot be read. Check the --model path.`, {
      file,
    });
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new RampartError(
      'MODEL_CORRUPT',
      `${file} is not valid JSON (${(e as Error).message}). Re-save the model with model.save() or rampart train.`,
      { file },
    );
  }
  if (json === null || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new RampartError(
      'MODEL_CORRUPT',
      `${file} is not a TF.js model.json (it needs "modelTopology" and "weightsManifest"). Point --model at a TF.js model folder, a model.json or an .onnx file.`,
      { file },
    );
  }
  return json;
}

/** Reads a model.json and its weight shards into tfjs ModelArtifacts. */
export function readTfjsArtifacts(modelJsonPath: string): TfjsArtifacts {
  const json = readJson(modelJsonPath);
  const folder = path.dirname(modelJsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) {
      const shardPath = path.join(folder, shard);
      try {
        buffers.push(fs.readFileSync(shardPath));
      } catch {
        throw new RampartError(
          'FILE_NOT_FOUND',
          `Weight file ${shardPath} listed in ${modelJsonPath} is missing. Copy the whole model folder.`,
          { file: shardPath },
        );
      }
    }
  }
  const weights = Buffer.concat(buffers);
  const expectedBytes = weightSpecs.reduce((sum, spec) => {
    const bytesPerValue = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 4;
    const quantBytes = spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : bytesPerValue;
    return sum + spec.shape.reduce((a, b) => a * b, 1) * quantBytes;
  }, 0);
  if (weights.byteLength !== expectedBytes) {
    throw new RampartError(
      'MODEL_CORRUPT',
      `The weights of ${modelJsonPath} have ${weights.byteLength} bytes but the manifest needs ${expectedBytes}: a shard is truncated or from another model. Re-save or re-download the model folder.`,
      { file: modelJsonPath, bytes: weights.byteLength, expectedBytes },
    );
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    signature: json.signature,
    modelInitializer: json.modelInitializer,
    weightSpecs,
    weightData,
  };
  return { json, artifacts };
}

/** An IOHandler that writes `model.json` and `weights.bin` into `folder`. */
export function folderSaveHandler(folder: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      fs.mkdirSync(folder, { recursive: true });
      const weightsFile = 'weights.bin';
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bytes = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      fs.writeFileSync(path.join(folder, weightsFile), bytes);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
