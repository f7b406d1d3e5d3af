/**
 * The built-in backward rules, registered in one place. Adding an op = one rule in `rules/` + one line here.
 */
import { BackwardRegistry } from './registry.js';
import * as elementwise from './rules/elementwise.js';
import * as nn from './rules/nn.js';
import * as shape from './rules/shape.js';
import { convPoolPlanesRule } from './rules/conv-pool.js';

export const builtinBackwardRules = new BackwardRegistry().register(
  // element-wise
  elementwise.addRule,
  elementwise.subRule,
  elementwise.mulRule,
  elementwise.divRule,
  elementwise.powRule,
  elementwise.negRule,
  elementwise.reluRule,
  elementwise.leakyReluRule,
  elementwise.sigmoidRule,
  elementwise.tanhRule,
  elementwise.expRule,
  elementwise.logRule,
  elementwise.sqrtRule,
  elementwise.absRule,
  elementwise.reciprocalRule,
  elementwise.softplusRule,
  elementwise.eluRule,
  elementwise.clipRule,
  elementwise.identityRule,
  elementwise.dropoutRule,
  elementwise.castRule,
  // neural-network layers
  nn.gemmRule,
  nn.matMulRule,
  nn.convRule,
  nn.maxPoolRule,
  nn.averagePoolRule,
  nn.globalAveragePoolRule,
  nn.globalMaxPoolRule,
  nn.batchNormalizationRule,
  nn.softmaxRule,
  nn.logSoftmaxRule,
  nn.reduceMeanRule,
  nn.reduceSumRule,
  convPoolPlanesRule,
  // shapes and data movement
  shape.flattenRule,
  shape.reshapeRule,
  shape.transposeRule,
  shape.squeezeRule,
  shape.unsqueezeRule,
  shape.concatRule,
  shape.sliceRule,
  shape.padRule,
  shape.expandRule,
);
