/**
 * The small slice of tfjs-backend-wasm that the replacement kernels use, typed structurally so that this
 * folder needs no import of the wasm package (only `src/engine/tf.ts` imports tfjs), plus helpers to call
 * other registered wasm kernels directly on `TensorInfo`s.
 *
 * Why call kernels directly rather than `tf.*` ops: a kernelFunc runs inside the engine's kernel dispatch, so
 * the replacements compose existing fast kernels (Conv2D via XNNPACK, Transpose, PadV2, Reverse, Slice,
 * Reshape) without recording gradient tape entries or creating Tensor objects; every intermediate is released
 * with `backend.disposeData` before returning, so nothing leaks and `tf.memory()` stays flat.
 */
import { tf } from '../tf.js';
import { RampartError } from '../../errors.js';

/** What a kernel receives and returns: a data id with its shape and dtype. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'complex64' | 'string';
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape: number[] } };
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export type Attrs = Record<string, unknown>;
export type KernelInputs = Record<string, TensorInfo>;
export type WasmKernelFunc = (args: { inputs: KernelInputs; backend: WasmBackend; attrs: Attrs }) => TensorInfo;

/** A kernel config as tfjs' registry stores it (typed loosely: the registry is shared with tfjs). */
export interface StockKernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: (args: never) => unknown;
  setupFunc?: (backend: never) => void;
  disposeFunc?: (backend: never) => void;
}

/** The wasm kernel registered under `kernelName` right now, or an error saying wasm was not imported. */
export function registeredWasmKernel(kernelName: string): StockKernelConfig {
  const config = tf.getKernel(kernelName, 'wasm') as unknown as StockKernelConfig | undefined;
  if (config === undefined) {
    throw new RampartError(
      'BACKEND',
      `The wasm kernel "${kernelName}" is not registered. Import @tensorflow/tfjs-backend-wasm (setupBackend() does) before registerWasmKernels().`,
      { kernelName },
    );
  }
  return config;
}

/** Runs one registered wasm kernel on TensorInfos; the caller owns (and must dispose) the result. */
export function runWasmKernel(
  kernelName: string,
  backend: WasmBackend,
  inputs: KernelInputs,
  attrs: Attrs = {},
): TensorInfo {
  return runKernelConfig(registeredWasmKernel(kernelName), backend, inputs, attrs);
}

/** Runs a specific kernel config (e.g. a stock kernel kept aside after being replaced). */
export function runKernelConfig(
  config: StockKernelConfig,
  backend: WasmBackend,
  inputs: KernelInputs,
  attrs: Attrs = {},
): TensorInfo {
  const run = config.kernelFunc as unknown as WasmKernelFunc;
  return run({ inputs, backend, attrs });
}

/** Releases intermediate results (each call to disposeData drops one reference). */
export function release(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A float32 view of a tensor's data on the wasm heap (valid until the next heap growth). */
export function heapFloat32(backend: WasmBackend, info: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) {
    throw new RampartError('INTERNAL', `Expected a float32 tensor on the wasm heap, got ${info.dtype}.`, {
      dtype: info.dtype,
    });
  }
  return view;
}

export function reshape(backend: WasmBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return runWasmKernel('Reshape', backend, { x }, { shape });
}

export function transpose(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}
