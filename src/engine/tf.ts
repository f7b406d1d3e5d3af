/**
 * The one place Rampart imports TensorFlow.js. tfjs-core's Node bundle registers no gradients unless
 * tfjs-layers is imported too, so both come in together here; every other module imports `tf` from here.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor4D, Rank } from '@tensorflow/tfjs-core';
