/**
 * A small ONNX model writer: builds ModelProto bytes from a plain description. Used by tests (tiny op-level
 * graphs cross-checked against ONNX Runtime, unsupported-op and corrupt-file cases) and by any Rampart code
 * that needs to emit a graph. Not a general exporter: one graph, dense tensors, default domain.
 */
import { onnxTypes, OnnxAttributeType, OnnxDataType } from './proto.js';

export type OnnxElementTypeName = 'float32' | 'int64' | 'int32' | 'bool';

export interface OnnxTensorSpec {
  name?: string;
  dims: number[];
  data: ArrayLike<number>;
  /** Default float32. */
  type?: OnnxElementTypeName;
  /** 'raw' (raw_data, default) or 'typed' (float_data / int64_data / int32_data). */
  storage?: 'raw' | 'typed';
}

export type OnnxAttributeSpec =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { tensor: OnnxTensorSpec };

export interface OnnxNodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttributeSpec>;
}

export interface OnnxModelSpec {
  /** Default-domain opset (default 13). */
  opset?: number;
  irVersion?: number;
  inputs: { name: string; dims: (number | string)[]; type?: OnnxElementTypeName }[];
  outputs: { name: string; dims?: (number | string)[]; type?: OnnxElementTypeName }[];
  initializers?: OnnxTensorSpec[];
  nodes: OnnxNodeSpec[];
  /** Also list initializers among graph inputs (old exporters did). */
  initializersAsInputs?: boolean;
}

const typeCodes: Record<OnnxElementTypeName, number> = {
  float32: OnnxDataType.FLOAT,
  int64: OnnxDataType.INT64,
  int32: OnnxDataType.INT32,
  bool: OnnxDataType.BOOL,
};

function tensorProto(spec: OnnxTensorSpec): Record<string, unknown> {
  const type = spec.type ?? 'float32';
  const values = Array.from(spec.data);
  const proto: Record<string, unknown> = { name: spec.name ?? '', dims: spec.dims, dataType: typeCodes[type] };
  if ((spec.storage ?? 'raw') === 'raw') {
    const width = type === 'int64' ? 8 : type === 'bool' ? 1 : 4;
    const raw = new Uint8Array(values.length * width);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => {
      if (type === 'float32') view.setFloat32(i * 4, v, true);
      else if (type === 'int64') view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
      else if (type === 'int32') view.setInt32(i * 4, v, true);
      else view.setUint8(i, v ? 1 : 0);
    });
    proto.rawData = raw;
  } else if (type === 'float32') proto.floatData = values;
  else if (type === 'int64') proto.int64Data = values;
  else proto.int32Data = values;
  return proto;
}

function attributeProto(name: string, value: OnnxAttributeSpec): Record<string, unknown> {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? { name, type: OnnxAttributeType.INT, i: value }
      : { name, type: OnnxAttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    return value.every(Number.isInteger)
      ? { name, type: OnnxAttributeType.INTS, ints: value }
      : { name, type: OnnxAttributeType.FLOATS, floats: value };
  }
  if ('float' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: OnnxAttributeType.FLOATS, floats: value.floats };
  return { name, type: OnnxAttributeType.TENSOR, t: tensorProto(value.tensor) };
}

function valueInfo(name: string, dims: (number | string)[] | undefined, type: OnnxElementTypeName = 'float32'): Record<string, unknown> {
  return {
    name,
    type: {
      tensorType: {
        elemType: typeCodes[type],
        ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
      },
    },
  };
}

/** Encodes a model description as ONNX bytes. */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const initializers = spec.initializers ?? [];
  const inputs = spec.inputs.map((i) => valueInfo(i.name, i.dims, i.type));
  if (spec.initializersAsInputs) {
    inputs.unshift(...initializers.map((t) => valueInfo(t.name ?? '', t.dims, t.type)));
  }
  const model = {
    irVersion: spec.irVersion ?? 7,
    producerName: 'rampart',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'graph',
      node: spec.nodes.map((node, index) => ({
        name: node.name ?? `${node.opType}_${index}`,
        opType: node.opType,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attributeProto(name, value)),
      })),
      initializer: initializers.map(tensorProto),
      input: inputs,
      output: spec.outputs.map((o) => valueInfo(o.name, o.dims, o.type)),
    },
  };
  return onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
}
