/** Registry of bound rules by ONNX op type, filled only in builtin.ts. */
import { RampartError } from '../../errors.js';
import type { BoundRule } from './define.js';

export class BoundRuleRegistry {
  private readonly rules = new Map<string, BoundRule>();

  register(rule: BoundRule): this {
    if (this.rules.has(rule.opType)) throw new RampartError('INTERNAL', `Bound rule for "${rule.opType}" is registered twice.`, {});
    this.rules.set(rule.opType, rule);
    return this;
  }

  get(opType: string): BoundRule | undefined {
    return this.rules.get(opType);
  }

  has(opType: string): boolean {
    return this.rules.has(opType);
  }

  opTypes(): string[] {
    return [...this.rules.keys()].sort();
  }
}
