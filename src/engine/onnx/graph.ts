/**
 * Reads ONNX model bytes into a typed graph: nodes with decoded attributes, initializers as typed arrays with
 * their dims, and the real graph inputs (old exporters such as the ACAS Xu networks list initializers among
 * the graph inputs; those are weights, not inputs). Everything downstream (the tfjs import, the ONNX Runtime
 * fast path, `rampart info`, bound propagation) works from this one structure rather than from protobuf
 * messages, so corrupt files are rejected here once, with a message that says how to re-export the model.
 */
import { onnxTypes, OnnxAttributeType, OnnxDataType } from './proto.js';
import { RampartError } from '../../errors.js';

/** Element types Rampart reads; float16 and double are widened to float32/float64 on read. */
export type OnnxTensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface OnnxTensor {
  name: string;
  /** ONNX TensorProto.DataType code (1 float, 7 int64, ...). */
  dataType: number;
  dims: number[];
  data: OnnxTensorData;
}

export type OnnxAttributeValue = number | number[] | string | string[] | OnnxTensor | OnnxTensor[] | null;

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' for the default ai.onnx domain. */
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttributeValue>;
}

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch'), or null when unknown. */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  /** Element type, 0 when the file does not say. */
  elemType: number;
  /** Undefined when the file declares no shape. */
  dims?: OnnxDim[];
}

export interface OnnxGraph {
  /** Where the bytes came from (a path or a label), used in messages. */
  source: string;
  irVersion: number;
  /** Version of the default (ai.onnx) operator set. */
  opset: number;
  producer: string;
  /** Graph inputs that are not initializers: what a caller feeds. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Map<string, OnnxTensor>;
  nodes: OnnxNode[];
}

const FLOAT16 = 10;
const INT16 = 5;
const UINT16 = 4;
const UINT32 = 12;
const UINT64 = 13;

const typeNames: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

export function onnxTypeName(dataType: number): string {
  return typeNames[dataType] ?? `type ${dataType}`;
}

/** protobufjs decodes int64 as Long objects when the long package is present, otherwise as numbers. */
export function longToNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && 'toNumber' in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  if (typeof value === 'string') return Number(value);
  return 0;
}

function longToBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (value !== null && typeof value === 'object' && 'toString' in value) {
    return BigInt((value as { toString(): string }).toString());
  }
  return 0n;
}

function corrupt(source: string, why: string): RampartError {
  return new RampartError(
    'MODEL_CORRUPT',
    `${source} is not a valid ONNX model (${why}). Re-export it with torch.onnx.export (or tf2onnx) and check it with onnx.checker.check_model.`,
    { source },
  );
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Decodes a TensorProto's payload (raw_data little-endian, or the typed *_data fields). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodeTensor(proto: any, source: string): OnnxTensor {
  const name: string = proto.name ?? '';
  const dataType: number = proto.dataType ?? 0;
  const dims = (proto.dims ?? []).map(longToNumber) as number[];
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw corrupt(source, `tensor "${name}" has invalid dims [${dims.join(', ')}]`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if ((proto.dataLocation ?? 0) === 1 || (proto.externalData?.length ?? 0) > 0) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${source}: tensor "${name}" keeps its data in an external file, which Rampart does not read. Save the model with all tensors inside it (onnx.save_model(model, path, save_as_external_data=False)).`,
      { source, tensor: name },
    );
  }
  const raw: Uint8Array | undefined = proto.rawData && proto.rawData.length > 0 ? proto.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const needBytes = (bytesPerElement: number): void => {
    if (raw && raw.byteLength !== size * bytesPerElement) {
      throw corrupt(source, `tensor "${name}" has ${raw.byteLength} bytes of raw data, expected ${size * bytesPerElement} for dims [${dims.join(', ')}]`);
    }
  };
  let data: OnnxTensorData;
  switch (dataType) {
    case OnnxDataType.FLOAT: {
      needBytes(4);
      const out = new Float32Array(size);
      if (view) for (let i = 0; i < size; i++) out[i] = view.getFloat32(i * 4, true);
      else out.set(proto.floatData ?? []);
      data = out;
      break;
    }
    case FLOAT16: {
      needBytes(2);
      const out = new Float32Array(size);
      if (view) for (let i = 0; i < size; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      else (proto.int32Data ?? []).forEach((bits: number, i: number) => (out[i] = halfToFloat(bits)));
      data = out;
      break;
    }
    case OnnxDataType.DOUBLE: {
      needBytes(8);
      const out = new Float64Array(size);
      if (view) for (let i = 0; i < size; i++) out[i] = view.getFloat64(i * 8, true);
      else out.set(proto.doubleData ?? []);
      data = out;
      break;
    }
    case OnnxDataType.INT64:
    case UINT64: {
      needBytes(8);
      const out = new BigInt64Array(size);
      if (view) for (let i = 0; i < size; i++) out[i] = view.getBigInt64(i * 8, true);
      else {
        const field = dataType === UINT64 ? proto.uint64Data : proto.int64Data;
        (field ?? []).forEach((v: unknown, i: number) => (out[i] = longToBigInt(v)));
      }
      data = out;
      break;
    }
    case OnnxDataType.INT32:
    case INT16:
    case UINT16:
    case UINT32: {
      const bytes = dataType === OnnxDataType.INT32 || dataType === UINT32 ? 4 : 2;
      needBytes(bytes);
      const out = new Int32Array(size);
      if (view) {
        for (let i = 0; i < size; i++) {
          out[i] = dataType === OnnxDataType.INT32 ? view.getInt32(i * 4, true)
            : dataType === UINT32 ? view.getUint32(i * 4, true)
            : dataType === INT16 ? view.getInt16(i * 2, true) : view.getUint16(i * 2, true);
        }
      } else out.set(proto.int32Data ?? []);
      data = out;
      break;
    }
    case OnnxDataType.INT8:
    case OnnxDataType.UINT8:
    case OnnxDataType.BOOL: {
      needBytes(1);
      const out = dataType === OnnxDataType.INT8 ? new Int8Array(size) : new Uint8Array(size);
      if (raw) out.set(dataType === OnnxDataType.INT8 ? new Int8Array(raw.buffer, raw.byteOffset, size) : raw);
      else out.set(proto.int32Data ?? []);
      data = out;
      break;
    }
    default:
      throw new RampartError(
        'MODEL_UNSUPPORTED',
        `${source}: tensor "${name}" has element type ${onnxTypeName(dataType)}, which Rampart does not read (it reads float16/32/64, int8-64, uint8-64 and bool).`,
        { source, tensor: name, dataType },
      );
  }
  if (data.length !== size) {
    throw corrupt(source, `tensor "${name}" holds ${data.length} values, expected ${size} for dims [${dims.join(', ')}]`);
  }
  return { name, dataType, dims, data };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function decodeAttribute(attribute: any, source: string): OnnxAttributeValue {
  let type: number = attribute.type ?? 0;
  if (type === 0) {
    // Old files may omit the type; infer it from the field that is set.
    if (attribute.ints?.length) type = OnnxAttributeType.INTS;
    else if (attribute.floats?.length) type = OnnxAttributeType.FLOATS;
    else if (attribute.strings?.length) type = OnnxAttributeType.STRINGS;
    else if (attribute.t) type = OnnxAttributeType.TENSOR;
    else if (attribute.s?.length) type = OnnxAttributeType.STRING;
    else if (attribute.f) type = OnnxAttributeType.FLOAT;
    else type = OnnxAttributeType.INT;
  }
  const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
  switch (type) {
    case OnnxAttributeType.FLOAT: return attribute.f ?? 0;
    case OnnxAttributeType.INT: return longToNumber(attribute.i);
    case OnnxAttributeType.STRING: return text(attribute.s ?? new Uint8Array());
    case OnnxAttributeType.TENSOR: return decodeTensor(attribute.t, source);
    case OnnxAttributeType.FLOATS: return [...(attribute.floats ?? [])];
    case OnnxAttributeType.INTS: return (attribute.ints ?? []).map(longToNumber);
    case OnnxAttributeType.STRINGS: return (attribute.strings ?? []).map(text);
    case 9: return (attribute.tensors ?? []).map((t: unknown) => decodeTensor(t, source));
    default: return null; // graphs and sparse tensors: kept as present-but-opaque
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function decodeValueInfo(info: any): OnnxValueInfo {
  const tensorType = info.type?.tensorType;
  const shape = tensorType?.shape;
  const dims = shape
    ? (shape.dim ?? []).map((d: { dimValue?: unknown; dimParam?: string }): OnnxDim => {
        if (d.dimParam) return d.dimParam;
        const value = d.dimValue === undefined || d.dimValue === null ? NaN : longToNumber(d.dimValue);
        return Number.isFinite(value) && value > 0 ? value : null;
      })
    : undefined;
  return { name: info.name ?? '', elemType: tensorType?.elemType ?? 0, dims };
}

/**
 * Parses ONNX model bytes. `source` names the file in messages.
 * @throws RampartError MODEL_CORRUPT for truncated or non-ONNX bytes, MODEL_UNSUPPORTED for external data.
 */
export function parseOnnx(bytes: Uint8Array, source: string): OnnxGraph {
  if (bytes.byteLength === 0) throw corrupt(source, 'the file is empty');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let model: any;
  try {
    model = onnxTypes.ModelProto.decode(bytes);
  } catch (e) {
    throw corrupt(source, `protobuf decoding failed: ${(e as Error).message}; the file may be truncated`);
  }
  const graph = model.graph;
  if (!graph) throw corrupt(source, 'it contains no graph');
  if ((graph.output ?? []).length === 0) throw corrupt(source, 'its graph declares no outputs');
  if ((graph.node ?? []).length === 0) throw corrupt(source, 'its graph has no nodes');
  let opset = 0;
  for (const entry of model.opsetImport ?? []) {
    if (!entry.domain || entry.domain === 'ai.onnx') opset = longToNumber(entry.version);
  }
  if (opset === 0) opset = 1; // IR version 2 files may omit the import; they predate opset 2.

  const initializers = new Map<string, OnnxTensor>();
  for (const proto of graph.initializer ?? []) {
    const tensor = decodeTensor(proto, source);
    initializers.set(tensor.name, tensor);
  }
  const nodes: OnnxNode[] = (graph.node ?? []).map(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (node: any, index: number): OnnxNode => {
      if (!node.opType) throw corrupt(source, `node ${index} has no op type`);
      const attributes = new Map<string, OnnxAttributeValue>();
      for (const attribute of node.attribute ?? []) attributes.set(attribute.name, decodeAttribute(attribute, source));
      return {
        name: node.name || `${node.opType}_${index}`,
        opType: node.opType,
        domain: node.domain === 'ai.onnx' ? '' : (node.domain ?? ''),
        inputs: [...(node.input ?? [])],
        outputs: [...(node.output ?? [])],
        attributes,
      };
    },
  );
  return {
    source,
    irVersion: longToNumber(model.irVersion),
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs: (graph.input ?? []).map(decodeValueInfo).filter((info: OnnxValueInfo) => !initializers.has(info.name)),
    outputs: (graph.output ?? []).map(decodeValueInfo),
    initializers,
    nodes,
  };
}

/** Sorted list of the distinct op types in a graph (domain-qualified outside ai.onnx). */
export function graphOpTypes(graph: OnnxGraph): string[] {
  return [...new Set(graph.nodes.map((n) => (n.domain ? `${n.domain}:${n.opType}` : n.opType)))].sort();
}
