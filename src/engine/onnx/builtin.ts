/**
 * The built-in ONNX op rules, registered in one place. Adding an op = one rule in `ops/` + one line here.
 */
import { OnnxOpRegistry } from './registry.js';
import * as elementwise from './ops/elementwise.js';
import * as nn from './ops/nn.js';
import * as shape from './ops/shape.js';

export const builtinOnnxOps = new OnnxOpRegistry().register(
  // element-wise
  elementwise.addOp,
  elementwise.subOp,
  elementwise.mulOp,
  elementwise.divOp,
  elementwise.powOp,
  elementwise.greaterOp,
  elementwise.lessOp,
  elementwise.equalOp,
  elementwise.negOp,
  elementwise.reluOp,
  elementwise.leakyReluOp,
  elementwise.sigmoidOp,
  elementwise.tanhOp,
  elementwise.expOp,
  elementwise.logOp,
  elementwise.sqrtOp,
  elementwise.absOp,
  elementwise.reciprocalOp,
  elementwise.softplusOp,
  elementwise.eluOp,
  elementwise.clipOp,
  elementwise.identityOp,
  elementwise.dropoutOp,
  // neural-network layers
  nn.gemmOp,
  nn.matMulOp,
  nn.convOp,
  nn.maxPoolOp,
  nn.averagePoolOp,
  nn.globalAveragePoolOp,
  nn.globalMaxPoolOp,
  nn.batchNormalizationOp,
  nn.softmaxOp,
  nn.logSoftmaxOp,
  nn.reduceMeanOp,
  nn.reduceSumOp,
  // shapes and data movement
  shape.flattenOp,
  shape.reshapeOp,
  shape.transposeOp,
  shape.squeezeOp,
  shape.unsqueezeOp,
  shape.concatOp,
  shape.constantOp,
  shape.constantOfShapeOp,
  shape.shapeOp,
  shape.gatherOp,
  shape.castOp,
  shape.sliceOp,
  shape.padOp,
  shape.expandOp,
);
