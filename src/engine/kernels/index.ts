/**
 * Replacement kernels for tfjs-backend-wasm (see docs/engine.md for the defects they fix).
 * Filled in by the kernels module; registering is idempotent.
 */
let registered = false;
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
}
