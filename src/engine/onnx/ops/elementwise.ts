/**
 * Element-wise ONNX ops: arithmetic and comparisons with NumPy broadcasting (folded on the host when both operands
 * are shape data), activations, Clip, and the pass-through ops (Identity, Dropout at inference).
 */
import { tf, type Tensor } from '../../tf.js';
import { defineOnnxOp, type OnnxOpContext, type OnnxOpRule } from '../registry.js';
import { HostTensor, hostBinary, isHost, toFloatTensor, toHost, toTensor, type OnnxValue } from '../values.js';

type TensorBinary = (a: Tensor, b: Tensor) => Tensor;

function binary(opType: string, onTensors: TensorBinary, onHost: (x: number, y: number, integer: boolean) => number): OnnxOpRule {
  return defineOnnxOp({
    opType,
    run(context: OnnxOpContext): OnnxValue {
      const a = context.input(0);
      const b = context.input(1);
      if (isHost(a) && isHost(b)) {
        const integer = a.kind !== 'float' && b.kind !== 'float';
        const kind = integer ? 'int' : 'float';
        return hostBinary(a, b, kind, (x, y) => {
          const value = onHost(x, y, integer);
          return integer ? value : Math.fround(value);
        });
      }
      return onTensors(...sameDtype(a, b));
    },
  });
}

/** Both operands as tensors of one dtype (float when they differ). */
function sameDtype(a: OnnxValue, b: OnnxValue): [Tensor, Tensor] {
  const ta = toTensor(a);
  const tb = toTensor(b);
  return ta.dtype === tb.dtype ? [ta, tb] : [toFloatTensor(ta), toFloatTensor(tb)];
}

export const addOp = binary('Add', (a, b) => tf.add(a, b), (x, y) => x + y);
export const subOp = binary('Sub', (a, b) => tf.sub(a, b), (x, y) => x - y);
export const mulOp = binary('Mul', (a, b) => tf.mul(a, b), (x, y) => x * y);
// ONNX integer division truncates toward zero (as ONNX Runtime's C++ does).
export const divOp = binary(
  'Div',
  (a, b) => (a.dtype === 'int32' ? tf.cast(tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32')), 'int32') : tf.div(a, b)),
  (x, y, integer) => (integer ? Math.trunc(x / y) : x / y),
);
export const powOp = binary('Pow', (a, b) => tf.pow(toFloatTensor(a), toFloatTensor(b)), (x, y) => x ** y);

/** Comparisons: bool results (masks), on the host for shape data. */
function comparison(opType: string, onTensors: TensorBinary, onHost: (x: number, y: number) => boolean): OnnxOpRule {
  return defineOnnxOp({
    opType,
    run(context: OnnxOpContext): OnnxValue {
      const a = context.input(0);
      const b = context.input(1);
      if (isHost(a) && isHost(b)) return hostBinary(a, b, 'bool', (x, y) => (onHost(x, y) ? 1 : 0));
      return onTensors(...sameDtype(a, b));
    },
  });
}

export const greaterOp = comparison('Greater', (a, b) => tf.greater(a, b), (x, y) => x > y);
export const lessOp = comparison('Less', (a, b) => tf.less(a, b), (x, y) => x < y);
export const equalOp = comparison('Equal', (a, b) => tf.equal(a, b), (x, y) => x === y);

function unary(opType: string, onTensor: (x: Tensor, context: OnnxOpContext) => Tensor): OnnxOpRule {
  return defineOnnxOp({ opType, run: (context) => onTensor(toFloatTensor(context.input(0)), context) });
}

export const negOp = defineOnnxOp({
  opType: 'Neg',
  run(context) {
    const x = context.input(0);
    return isHost(x) ? new HostTensor(x.kind, x.dims, x.data.map((v) => -v)) : tf.neg(x);
  },
});
export const reluOp = unary('Relu', (x) => tf.relu(x));
export const leakyReluOp = unary('LeakyRelu', (x, c) => tf.leakyRelu(x, c.attributes.float('alpha', 0.01)));
export const sigmoidOp = unary('Sigmoid', (x) => tf.sigmoid(x));
export const tanhOp = unary('Tanh', (x) => tf.tanh(x));
export const expOp = unary('Exp', (x) => tf.exp(x));
export const logOp = unary('Log', (x) => tf.log(x));
export const sqrtOp = unary('Sqrt', (x) => tf.sqrt(x));
export const absOp = unary('Abs', (x) => tf.abs(x));
export const reciprocalOp = unary('Reciprocal', (x) => tf.reciprocal(x));
export const softplusOp = unary('Softplus', (x) => tf.softplus(x));
export const eluOp = unary('Elu', (x, c) => {
  const alpha = c.attributes.float('alpha', 1);
  // elu(x) = exp(x) − 1 below 0; scale only that part (tf.where would put Greater, which has no gradient, on the tape).
  return alpha === 1 ? tf.elu(x) : tf.add(tf.relu(x), tf.mul(tf.minimum(tf.elu(x), 0), alpha));
});

/** Clip: bounds as attributes before opset 11, as optional inputs from 11. */
export const clipOp = defineOnnxOp({
  opType: 'Clip',
  run(context) {
    const x = toFloatTensor(context.input(0));
    let min = -Infinity;
    let max = Infinity;
    if (context.opset < 11) {
      min = context.attributes.float('min', -Infinity);
      max = context.attributes.float('max', Infinity);
    } else {
      const minValue = context.optionalInput(1);
      const maxValue = context.optionalInput(2);
      if (minValue) min = toHost(minValue).data[0];
      if (maxValue) max = toHost(maxValue).data[0];
    }
    if (min === -Infinity && max === Infinity) return x;
    if (max === Infinity) return tf.maximum(x, min);
    if (min === -Infinity) return tf.minimum(x, max);
    return tf.clipByValue(x, min, max);
  },
});

export const identityOp = defineOnnxOp({ opType: 'Identity', run: (context) => context.input(0) });

/** Dropout at inference is the identity; the optional mask output is all true. */
export const dropoutOp = defineOnnxOp({
  opType: 'Dropout',
  run(context) {
    const x = context.input(0);
    if (context.node.outputs.length > 1 && context.node.outputs[1] !== '') {
      return [x, tf.cast(tf.onesLike(toTensor(x)), 'bool')];
    }
    return x;
  },
});
