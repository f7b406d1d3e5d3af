/**
 * A small ONNX graph emitter for the backward-graph generator: nodes and initializers as the plain objects
 * `onnxTypes.ModelProto.fromObject` accepts, with typed attributes (an integer-valued float attribute stays a
 * FLOAT, unlike `encodeOnnxModel`'s inference), fresh names under one prefix, cached constants, and helpers
 * whose form depends on the target opset (ReduceSum's axes are an input from opset 13, ReduceMax's from 18).
 */
import { OnnxAttributeType, OnnxDataType } from '../onnx/proto.js';

/** A typed attribute value for {@link GraphEmitter.node}. */
export type AttributeSpec =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { floats: number[] }
  | { string: string };

export interface AttributeObject {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
  [key: string]: unknown;
}

export interface NodeObject {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeObject[];
}

export interface TensorObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
  [key: string]: unknown;
}

function attributeObject(name: string, spec: AttributeSpec): AttributeObject {
  if ('int' in spec) return { name, type: OnnxAttributeType.INT, i: spec.int };
  if ('ints' in spec) return { name, type: OnnxAttributeType.INTS, ints: spec.ints };
  if ('float' in spec) return { name, type: OnnxAttributeType.FLOAT, f: spec.float };
  if ('floats' in spec) return { name, type: OnnxAttributeType.FLOATS, floats: spec.floats };
  return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(spec.string) };
}

export class GraphEmitter {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  private readonly used: Set<string>;
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(
    /** Default-domain opset the emitted graph declares. */
    readonly opset: number,
    /** Names already taken (the forward graph's values). */
    taken: Iterable<string>,
    private readonly prefix = 'rampart_grad/',
  ) {
    this.used = new Set(taken);
  }

  /** A fresh value name. */
  fresh(base: string): string {
    let name = `${this.prefix}${base}_${this.counter++}`;
    while (this.used.has(name)) name = `${this.prefix}${base}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  /** Appends a node with `outputs` fresh outputs (default 1) and returns their names. */
  nodeN(opType: string, inputs: string[], outputs: number, attributes: Record<string, AttributeSpec> = {}): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType));
    this.nodes.push({
      name: names[0],
      opType,
      input: inputs,
      output: names,
      attribute: Object.entries(attributes).map(([k, v]) => attributeObject(k, v)),
    });
    return names;
  }

  /** Appends a one-output node and returns the output's name. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeSpec> = {}): string {
    return this.nodeN(opType, inputs, 1, attributes)[0];
  }

  /** A float32 initializer (not cached). */
  floatTensor(base: string, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    const data = Float32Array.from(values);
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** A cached float32 scalar (dims []) constant. */
  scalar(value: number): string {
    const key = `f:${value}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.floatTensor('scalar', [], [value]);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A cached int64 constant (1-D unless `dims` is given). */
  int64(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('ints');
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      this.initializers.push({ name, dims, dataType: OnnxDataType.INT64, rawData: new Uint8Array(data.buffer) });
      this.constants.set(key, name);
    }
    return name;
  }

  /** A cached int32 constant (1-D unless `dims` is given). */
  int32(values: number[], dims: number[] = [values.length]): string {
    const key = `i32:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('ints32');
      const data = Int32Array.from(values);
      this.initializers.push({ name, dims, dataType: OnnxDataType.INT32, rawData: new Uint8Array(data.buffer) });
      this.constants.set(key, name);
    }
    return name;
  }

  // ---- helpers whose form depends on the opset -------------------------------------------------------

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.node('ReduceSum', [x, this.int64(axes)], { keepdims: { int: keepdims ? 1 : 0 } });
  }

  reduceMax(x: string, axes: number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.node('ReduceMax', [x, this.int64(axes)], { keepdims: { int: keepdims ? 1 : 0 } });
    return this.node('ReduceMax', [x], { axes: { ints: axes }, keepdims: { int: keepdims ? 1 : 0 } });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.node('Unsqueeze', [x, this.int64(axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return this.node('Squeeze', [x, this.int64(axes)]);
  }

  reshape(x: string, shape: string): string {
    return this.node('Reshape', [x, shape]);
  }

  /** Reshape `x` to the runtime shape of `like`. */
  reshapeLike(x: string, like: string): string {
    return this.node('Reshape', [x, this.node('Shape', [like])]);
  }

  mul(a: string, b: string): string {
    return this.node('Mul', [a, b]);
  }

  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.node('Sub', [a, b]);
  }

  div(a: string, b: string): string {
    return this.node('Div', [a, b]);
  }

  neg(a: string): string {
    return this.node('Neg', [a]);
  }

  scale(x: string, factor: number): string {
    if (factor === 1) return x;
    if (factor === -1) return this.neg(x);
    return this.mul(x, this.scalar(factor));
  }

  transpose(x: string, perm: number[]): string {
    return this.node('Transpose', [x], { perm: { ints: perm } });
  }

  slice(x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
    const inputs = [x, this.int64(starts), this.int64(ends), this.int64(axes)];
    if (steps) inputs.push(this.int64(steps));
    return this.node('Slice', inputs);
  }
}
