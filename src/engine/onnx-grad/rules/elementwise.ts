/**
 * Backward rules for element-wise ONNX ops: arithmetic with NumPy broadcasting (gradients summed back to each
 * operand's shape), activations (masks taken from the forward output where that is exact, which lets ONNX
 * Runtime avoid layout reorders after convolutions), Clip (inclusive bounds, as tfjs and PyTorch), and the
 * pass-through ops.
 */
import { defineBackwardRule, reduceToOperand, type BackwardContext, type BackwardRule } from '../registry.js';

function binary(opType: string, backward: (c: BackwardContext, g: string) => void): BackwardRule {
  return defineBackwardRule({
    opType,
    parameterInputs: [0, 1],
    backward(c) {
      const g = c.grad(0);
      if (g) backward(c, g);
    },
  });
}

export const addRule = binary('Add', (c, g) => {
  for (const i of [0, 1]) if (c.needsGrad(i)) c.addGrad(i, reduceToOperand(c, g, c.input(i), c.output(0)));
});

export const subRule = binary('Sub', (c, g) => {
  if (c.needsGrad(0)) c.addGrad(0, reduceToOperand(c, g, c.input(0), c.output(0)));
  if (c.needsGrad(1)) c.addGrad(1, reduceToOperand(c, c.emit.neg(g), c.input(1), c.output(0)));
});

export const mulRule = binary('Mul', (c, g) => {
  const e = c.emit;
  if (c.needsGrad(0)) c.addGrad(0, reduceToOperand(c, e.mul(g, c.input(1)), c.input(0), c.output(0)));
  if (c.needsGrad(1)) c.addGrad(1, reduceToOperand(c, e.mul(g, c.input(0)), c.input(1), c.output(0)));
});

export const divRule = binary('Div', (c, g) => {
  const e = c.emit;
  if (c.needsGrad(0)) c.addGrad(0, reduceToOperand(c, e.div(g, c.input(1)), c.input(0), c.output(0)));
  // d(a/b)/db = −(a/b)/b
  if (c.needsGrad(1)) c.addGrad(1, reduceToOperand(c, e.neg(e.div(e.mul(g, c.output(0)), c.input(1))), c.input(1), c.output(0)));
});

/** Pow with a constant exponent: d(x^p) = p·x^(p−1). */
export const powRule = defineBackwardRule({
  opType: 'Pow',
  backward(c) {
    const g = c.grad(0);
    if (!g) return;
    if (c.needsGrad(1)) throw c.unsupported('the gradient with respect to the exponent is not supported');
    const exponent = c.constant(c.input(1));
    if (!exponent || exponent.length !== 1) throw c.unsupported('only a constant scalar exponent is supported');
    const p = exponent[0];
    const e = c.emit;
    const local = p === 2 ? e.scale(c.input(0), 2) : e.scale(e.node('Pow', [c.input(0), e.scalar(p - 1)]), p);
    c.addGrad(0, reduceToOperand(c, e.mul(g, local), c.input(0), c.output(0)));
  },
});

export const negRule = defineBackwardRule({
  opType: 'Neg',
  backward(c) {
    const g = c.grad(0);
    if (g && c.needsGrad(0)) c.addGrad(0, c.emit.neg(g));
  },
});

function unary(opType: string, local: (c: BackwardContext, g: string) => string): BackwardRule {
  return defineBackwardRule({
    opType,
    backward(c) {
      const g = c.grad(0);
      if (g && c.needsGrad(0)) c.addGrad(0, local(c, g));
    },
  });
}

/** ReLU: the mask from the output (y > 0 exactly when x > 0), as tfjs' step(x) and PyTorch's threshold grad. */
export const reluRule = unary('Relu', (c, g) => {
  const e = c.emit;
  // g · float(y > 0): three streaming ops, ≈ half the time of Greater + Where in ONNX Runtime (its Where makes
  // three passes over the data).
  return e.mul(g, e.node('Cast', [e.node('Greater', [c.output(0), e.scalar(0)])], { to: { int: 1 } }));
});

export const leakyReluRule = unary('LeakyRelu', (c, g) => {
  const e = c.emit;
  const alpha = c.attributes.float('alpha', 0.01);
  return e.node('Where', [e.node('Greater', [c.input(0), e.scalar(0)]), g, e.scale(g, alpha)]);
});

export const sigmoidRule = unary('Sigmoid', (c, g) => {
  const e = c.emit;
  const y = c.output(0);
  return e.mul(g, e.mul(y, e.sub(e.scalar(1), y)));
});

export const tanhRule = unary('Tanh', (c, g) => {
  const e = c.emit;
  const y = c.output(0);
  return e.mul(g, e.sub(e.scalar(1), e.mul(y, y)));
});

export const expRule = unary('Exp', (c, g) => c.emit.mul(g, c.output(0)));
export const logRule = unary('Log', (c, g) => c.emit.div(g, c.input(0)));
export const sqrtRule = unary('Sqrt', (c, g) => c.emit.div(c.emit.scale(g, 0.5), c.output(0)));
export const absRule = unary('Abs', (c, g) => c.emit.mul(g, c.emit.node('Sign', [c.input(0)])));
export const reciprocalRule = unary('Reciprocal', (c, g) => {
  const e = c.emit;
  return e.neg(e.mul(g, e.mul(c.output(0), c.output(0))));
});
export const softplusRule = unary('Softplus', (c, g) => c.emit.mul(g, c.emit.node('Sigmoid', [c.input(0)])));
export const eluRule = unary('Elu', (c, g) => {
  const e = c.emit;
  const alpha = c.attributes.float('alpha', 1);
  // below 0: y = α(eˣ − 1), so dy/dx = y + α
  return e.node('Where', [e.node('Greater', [c.input(0), e.scalar(0)]), g, e.mul(g, e.add(c.output(0), e.scalar(alpha)))]);
});

/** Clip: the gradient passes where min ≤ x ≤ max (inclusive, as tfjs' clipByValue and torch.clamp). */
export const clipRule = defineBackwardRule({
  opType: 'Clip',
  backward(c) {
    const g = c.grad(0);
    if (!g || !c.needsGrad(0)) return;
    if (c.needsGrad(1) || c.needsGrad(2)) throw c.unsupported('gradients with respect to the clip bounds are not supported');
    let min = -Infinity;
    let max = Infinity;
    if (c.opset < 11) {
      min = c.attributes.float('min', -Infinity);
      max = c.attributes.float('max', Infinity);
    } else {
      const read = (i: number): number | undefined => {
        const name = c.input(i);
        if (!name) return undefined;
        const value = c.constant(name) ?? c.host(name);
        if (!value || value.length !== 1) throw c.unsupported('only constant scalar clip bounds are supported');
        return value[0];
      };
      min = read(1) ?? min;
      max = read(2) ?? max;
    }
    const e = c.emit;
    const x = c.input(0);
    let mask: string | undefined;
    if (min !== -Infinity) mask = e.node('GreaterOrEqual', [x, e.scalar(min)]);
    if (max !== Infinity) {
      const upper = e.node('LessOrEqual', [x, e.scalar(max)]);
      mask = mask ? e.node('And', [mask, upper]) : upper;
    }
    c.addGrad(0, mask ? e.node('Where', [mask, g, e.scalar(0)]) : g);
  },
});

function passThrough(opType: string): BackwardRule {
  return defineBackwardRule({
    opType,
    backward(c) {
      const g = c.grad(0);
      if (g && c.needsGrad(0)) c.addGrad(0, g);
    },
  });
}

export const identityRule = passThrough('Identity');
export const dropoutRule = passThrough('Dropout');

/** Cast between float types is the identity for gradients; other casts end the differentiable path. */
export const castRule = passThrough('Cast');
