/**
 * The registry of ONNX op rules for the tfjs import. One rule per ONNX op type: a plain config object whose
 * `run` maps the node's input values (tfjs tensors or host shape data) to its outputs with tfjs ops, so the
 * imported graph stays differentiable. Rules are filled in one place, `builtin.ts`; the importer scans a graph
 * against the registry first and reports every missing op type at once.
 */
import type { OnnxAttributeValue, OnnxNode, OnnxTensor } from './graph.js';
import type { OnnxValue } from './values.js';
import { RampartError } from '../../errors.js';

/** Typed access to a node's attributes, with defaults. */
export class OnnxAttributes {
  constructor(private readonly node: OnnxNode) {}

  has(name: string): boolean {
    return this.node.attributes.has(name);
  }

  private get(name: string, expected: string, check: (v: OnnxAttributeValue) => boolean): OnnxAttributeValue | undefined {
    const value = this.node.attributes.get(name);
    if (value === undefined) return undefined;
    if (!check(value)) {
      throw new RampartError(
        'MODEL_CORRUPT',
        `ONNX node "${this.node.name}" (${this.node.opType}): attribute "${name}" should be ${expected}. Re-export the model.`,
        { node: this.node.name, attribute: name },
      );
    }
    return value;
  }

  int(name: string, fallback: number): number {
    return (this.get(name, 'an integer', (v) => typeof v === 'number') as number | undefined) ?? fallback;
  }

  float(name: string, fallback: number): number {
    return (this.get(name, 'a number', (v) => typeof v === 'number') as number | undefined) ?? fallback;
  }

  ints(name: string): number[] | undefined {
    return this.get(name, 'a list of integers', (v) => Array.isArray(v) && v.every((x) => typeof x === 'number')) as
      | number[]
      | undefined;
  }

  floats(name: string): number[] | undefined {
    return this.ints(name);
  }

  string(name: string, fallback: string): string {
    return (this.get(name, 'a string', (v) => typeof v === 'string') as string | undefined) ?? fallback;
  }

  tensor(name: string): OnnxTensor | undefined {
    return this.get(name, 'a tensor', (v) => v !== null && typeof v === 'object' && 'dims' in v) as OnnxTensor | undefined;
  }
}

export interface OnnxOpContext {
  node: OnnxNode;
  /** Default-domain opset the model was exported with (decides attribute-vs-input forms). */
  opset: number;
  attributes: OnnxAttributes;
  /** Input i, throwing MODEL_CORRUPT if the node omitted it. */
  input(i: number): OnnxValue;
  /** Input i, or undefined when omitted (empty name or beyond the list). */
  optionalInput(i: number): OnnxValue | undefined;
  /** A RampartError naming this node, for unsupported attribute combinations. */
  unsupported(what: string): RampartError;
}

export interface OnnxOpRule {
  /** ONNX op type in the default domain, e.g. 'Conv'. */
  opType: string;
  /** Computes the node's outputs (one value, or one per declared output). */
  run(context: OnnxOpContext): OnnxValue | OnnxValue[];
}

export function defineOnnxOp(rule: OnnxOpRule): OnnxOpRule {
  return rule;
}

export class OnnxOpRegistry {
  private readonly rules = new Map<string, OnnxOpRule>();

  register(...rules: OnnxOpRule[]): this {
    for (const rule of rules) {
      if (this.rules.has(rule.opType)) throw new RampartError('INTERNAL', `ONNX op rule "${rule.opType}" registered twice.`);
      this.rules.set(rule.opType, rule);
    }
    return this;
  }

  get(opType: string, domain = ''): OnnxOpRule | undefined {
    return domain === '' ? this.rules.get(opType) : undefined;
  }

  /** Sorted op types this registry can import. */
  opTypes(): string[] {
    return [...this.rules.keys()].sort();
  }
}
