/** The built-in bound rules, one per ONNX op type. A new op = one file in rules/ + one line here. */
import { BoundRuleRegistry } from './registry.js';
import { addRule } from './rules/add.js';
import { averagePoolRule } from './rules/average-pool.js';
import { batchNormalizationRule } from './rules/batch-normalization.js';
import { convRule } from './rules/conv.js';
import { divRule } from './rules/div.js';
import { dropoutRule } from './rules/dropout.js';
import { flattenRule } from './rules/flatten.js';
import { gemmRule } from './rules/gemm.js';
import { identityRule } from './rules/identity.js';
import { matMulRule } from './rules/mat-mul.js';
import { maxPoolRule } from './rules/max-pool.js';
import { mulRule } from './rules/mul.js';
import { reluRule } from './rules/relu.js';
import { reshapeRule } from './rules/reshape.js';
import { sigmoidRule } from './rules/sigmoid.js';
import { subRule } from './rules/sub.js';
import { tanhRule } from './rules/tanh.js';
import { transposeRule } from './rules/transpose.js';

export const boundRules = new BoundRuleRegistry()
  .register(gemmRule)
  .register(matMulRule)
  .register(convRule)
  .register(addRule)
  .register(subRule)
  .register(mulRule)
  .register(divRule)
  .register(reluRule)
  .register(batchNormalizationRule)
  .register(flattenRule)
  .register(reshapeRule)
  .register(transposeRule)
  .register(averagePoolRule)
  .register(identityRule)
  .register(dropoutRule)
  .register(maxPoolRule)
  .register(sigmoidRule)
  .register(tanhRule);
