/**
 * One error type for everything Rampart reports to a user. Messages name the problem and the fix;
 * the CLI maps codes to exit statuses (0 ok, 1 gate failed, 2 usage or input error, 3 internal error).
 */
export type ErrorCode =
  | 'FILE_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'MODEL_UNSUPPORTED'
  | 'ONNX_UNSUPPORTED_OPS'
  | 'DATA_SPEC'
  | 'DATA_CORRUPT'
  | 'DATA_SHAPE_MISMATCH'
  | 'LABEL_OUT_OF_RANGE'
  | 'NON_FINITE_INPUT'
  | 'BAD_OPTION'
  | 'BACKEND'
  | 'GATE_FAILED'
  | 'INTERNAL';

export class RampartError extends Error {
  override readonly name = 'RampartError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isRampartError(e: unknown): e is RampartError {
  return e instanceof RampartError;
}

/** Exit status for an error: usage and input problems are 2, failed gates 1, anything unexpected 3. */
export function exitCodeFor(e: unknown): number {
  if (!isRampartError(e)) return 3;
  if (e.code === 'GATE_FAILED') return 1;
  if (e.code === 'INTERNAL') return 3;
  return 2;
}
