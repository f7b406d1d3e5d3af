/**
 * The ONNX adapter: parse ONNX files, import them into tfjs ops (differentiable), run them through ONNX
 * Runtime (fast forward), and wrap both as a Rampart model.
 */
export { loadOnnxModel, onnxModelOptionsSchema } from './onnx-model.js';
export type { OnnxModel, OnnxModelOptions, OnnxInputLayout } from './onnx-model.js';
export { parseOnnx, graphOpTypes, decodeTensor, onnxTypeName } from './graph.js';
export type { OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo, OnnxDim, OnnxAttributeValue } from './graph.js';
export { importOnnxGraph, checkSupportedOps } from './import.js';
export type { ImportedOnnxGraph, ImportOptions } from './import.js';
export { builtinOnnxOps } from './builtin.js';
export { OnnxOpRegistry, defineOnnxOp, OnnxAttributes } from './registry.js';
export type { OnnxOpRule, OnnxOpContext } from './registry.js';
export { createOrtRunner } from './ort.js';
export type { OrtRunner, OrtRunnerOptions } from './ort.js';
export { encodeOnnxModel } from './build.js';
export type { OnnxModelSpec, OnnxNodeSpec, OnnxTensorSpec } from './build.js';
