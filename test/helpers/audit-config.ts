/** The per-field problems of an audit config that must be rejected (fails the test if it is accepted). */
import { expect } from 'vitest';
import { RampartError } from '../../src/errors.js';
import { resolveAuditConfig } from '../../src/report/audit/config.js';

export function auditConfigProblems(input: unknown): string[] {
  try {
    resolveAuditConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RampartError);
    return (error as RampartError).details.problems as string[];
  }
  throw new Error('expected the config to be rejected');
}
