/** The diagnostics registry: stable ids to definitions, filled only in builtin.ts. */
import { RampartError } from '../../errors.js';
import type { AnyDiagnosticDefinition } from './define.js';

export class DiagnosticRegistry {
  private readonly entries = new Map<string, AnyDiagnosticDefinition>();

  register(definition: AnyDiagnosticDefinition): this {
    if (this.entries.has(definition.id)) throw new RampartError('INTERNAL', `Diagnostic id "${definition.id}" is registered twice.`, {});
    this.entries.set(definition.id, definition);
    return this;
  }

  get(id: string): AnyDiagnosticDefinition {
    const found = this.entries.get(id);
    if (!found) throw new RampartError('BAD_OPTION', `Unknown diagnostic "${id}". Available diagnostics: ${this.ids().join(', ')}.`, { id });
    return found;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  list(): AnyDiagnosticDefinition[] {
    return [...this.entries.values()];
  }
}
