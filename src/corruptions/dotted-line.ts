/**
 * Dotted line: a soft line across the whole width between two random rows, with alternate 2-pixel column
 * blocks removed (blocks 0–1, 4–5, ... off), added to the image. Ungraded.
 * Paper: Mu & Gilmer 2019 (MNIST-C), https://arxiv.org/abs/1906.02337.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('dotted-line').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { addMask, lineMask } from './image/lines.js';
import { MNIST_C } from './papers.js';

export const dottedLine = defineCorruption<null>({
  id: 'dotted-line',
  title: 'Dotted line',
  family: 'overlay',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: true,
  graded: false,
  mnistcSeverity: 1,
  severities: { mnist: [null, null, null, null, null] },
  corrupt: (image, _p, { shape, random }) => {
    const [h, w, c] = shape;
    const r0 = random.int(h - 1);
    const r1 = random.int(h - 1);
    const mask = lineMask(h, w, 0, r0, w - 1, r1);
    const block = Math.max(1, Math.round((2 * w) / 28));
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.floor(x / block) % 2 === 0) mask[y * w + x] = 0;
    return addMask(image, c, mask);
  },
});
