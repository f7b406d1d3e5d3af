/**
 * Vanilla gradient saliency: the gradient of the class score with respect to the input, ∂S_c/∂x.
 * Simonyan, Vedaldi & Zisserman 2014, "Deep Inside Convolutional Networks: Visualising Image Classification Models
 * and Saliency Maps", https://arxiv.org/abs/1312.6034. Needs input gradients (white-box). One backward pass.
 *
 * @example
 * rampart explain --model builtin:mnist-cnn --method vanilla --limit 4 --out explain/
 */
import { z } from 'zod';
import { defineExplainer } from './define.js';
import { classScoreGradient } from './gradients.js';

export const vanillaGradient = defineExplainer({
  id: 'vanilla',
  title: 'Vanilla gradient',
  paper: 'Simonyan, Vedaldi & Zisserman 2014, https://arxiv.org/abs/1312.6034',
  options: z.object({}).strict(),
  attribute: ({ model, x, classes, output }) => ({ attributions: classScoreGradient(model, x, classes, output) }),
});
