/**
 * Backward rules for shape and data-movement ONNX ops: reshapes (the gradient takes the input's runtime
 * shape back), Transpose (inverse permutation), Concat (Split with the probed sizes), Slice (zero Pad back to
 * the input), Pad in constant mode (Slice, or Pad with negated amounts when the forward pad crops), Expand
 * (sum over the broadcast axes).
 */
import { batchFree, defineBackwardRule, reduceToOperand, type BackwardRule } from '../registry.js';

function reshapeBack(opType: string): BackwardRule {
  return defineBackwardRule({
    opType,
    backward(c) {
      const g = c.grad(0);
      if (!g || !c.needsGrad(0)) return;
      const x = c.input(0);
      const facts = c.facts(x);
      const e = c.emit;
      c.addGrad(0, batchFree(facts) ? e.reshape(g, e.int64(facts.dims)) : e.reshapeLike(g, x));
    },
  });
}

export const flattenRule = reshapeBack('Flatten');
export const reshapeRule = reshapeBack('Reshape');
export const squeezeRule = reshapeBack('Squeeze');
export const unsqueezeRule = reshapeBack('Unsqueeze');

export const transposeRule = defineBackwardRule({
  opType: 'Transpose',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const rank = c.facts(c.input(0)).dims.length;
    const perm = c.attributes.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    c.addGrad(0, c.emit.transpose(g, inverse));
  },
});

export const concatRule = defineBackwardRule({
  opType: 'Concat',
  backward(c) {
    const g = c.grad(0);
    if (!g) return;
    const rank = c.facts(c.output(0)).dims.length;
    let axis = c.attributes.int('axis', 1);
    if (axis < 0) axis += rank;
    const count = c.node.inputs.length;
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const f = c.facts(c.input(i));
      if (f.dims[axis] !== f.dims2[axis]) throw c.unsupported('concatenation along the batch axis is not supported');
      sizes.push(f.dims[axis]);
    }
    const parts = c.emit.nodeN('Split', [g, c.emit.int64(sizes)], count, { axis: { int: axis } });
    for (let i = 0; i < count; i++) if (c.needsGrad(i)) c.addGrad(i, parts[i]);
  },
});

/** Slice with unit steps: the gradient is the output gradient zero-padded back to the input's extent. */
export const sliceRule = defineBackwardRule({
  opType: 'Slice',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const x = c.input(0);
    const inFacts = c.facts(x);
    const outFacts = c.facts(c.output(0));
    const rank = inFacts.dims.length;
    let starts: number[] | undefined;
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (c.opset < 10) {
      starts = c.attributes.ints('starts');
      axes = c.attributes.ints('axes');
    } else {
      starts = c.host(c.input(1));
      axes = c.input(3) ? c.host(c.input(3)) : undefined;
      steps = c.input(4) ? c.host(c.input(4)) : undefined;
      if (!starts || (c.input(3) && !axes) || (c.input(4) && !steps)) throw c.unsupported('the slice bounds are not constant');
    }
    if (!starts) throw c.unsupported('the slice bounds are not constant');
    if (steps && steps.some((s) => s !== 1)) throw c.unsupported('slices with steps other than 1 are not supported');
    const begin = new Array<number>(rank).fill(0);
    (axes ?? starts.map((_, i) => i)).forEach((a, i) => {
      const axis = a < 0 ? a + rank : a;
      if (inFacts.dims[axis] !== inFacts.dims2[axis]) throw c.unsupported('slicing along the batch axis is not supported');
      const size = inFacts.dims[axis];
      const s = starts![i];
      begin[axis] = Math.min(Math.max(s < 0 ? s + size : s, 0), size);
    });
    const end = inFacts.dims.map((size, axis) => size - begin[axis] - outFacts.dims[axis]);
    if (inFacts.dims.some((d, axis) => d !== inFacts.dims2[axis] && (begin[axis] !== 0 || end[axis] !== 0))) {
      throw c.unsupported('slicing along the batch axis is not supported');
    }
    c.addGrad(0, c.emit.node('Pad', [g, c.emit.int64([...begin, ...end])]));
  },
});

/** Pad in constant mode: the gradient of the kept cells is a slice of the output gradient. */
export const padRule = defineBackwardRule({
  opType: 'Pad',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    const mode = c.attributes.string('mode', 'constant');
    if (mode !== 'constant') throw c.unsupported(`Pad mode "${mode}" has no backward rule (only "constant")`);
    const x = c.input(0);
    const rank = c.facts(x).dims.length;
    let pads = c.opset < 11 ? c.attributes.ints('pads') : c.host(c.input(1));
    if (!pads) throw c.unsupported('the pad amounts are not constant');
    if (c.opset >= 18 && c.input(3)) {
      const axes = c.host(c.input(3));
      if (!axes) throw c.unsupported('the pad axes are not constant');
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        const axis = a < 0 ? a + rank : a;
        full[axis] = pads![i];
        full[axis + rank] = pads![i + axes.length];
      });
      pads = full;
    }
    c.addGrad(0, c.emit.node('Pad', [g, c.emit.int64(pads.map((p) => -p))]));
  },
});

export const expandRule = defineBackwardRule({
  opType: 'Expand',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    c.addGrad(0, reduceToOperand(c, g, c.input(0), c.output(0)));
  },
});
