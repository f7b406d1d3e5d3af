/** Dropout at inference is the identity (ONNX Dropout without training_mode); its mask output is not supported. */
import { defineBoundRule } from '../define.js';

export const dropoutRule = defineBoundRule({
  opType: 'Dropout',
  affine: true,
  exact: true,
  check(node, _attrs, perturbed) {
    const problems: string[] = [];
    if (node.outputs.filter((o) => o !== '').length > 1) problems.push('the mask output is not supported');
    if (perturbed.slice(1).some(Boolean)) problems.push('ratio/training_mode must be constants');
    return problems;
  },
  ibp: (ctx) => ctx.inputs[0]!,
  crown: (ctx) => ({ inputs: [{ lA: ctx.lA, uA: ctx.uA }, null, null], lBias: null, uBias: null }),
});
