/**
 * Zigzag: a soft zigzag polyline (segment length a = 2 px, amplitude b = 2 px at 28 px) from column 2 to column
 * 25 (scaled with the width), starting at a random row and tilted towards a random row up to 5 px away, added to
 * the image. Ungraded.
 * Paper: Mu & Gilmer 2019 (MNIST-C), https://arxiv.org/abs/1906.02337.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('zigzag').apply(digit, [28, 28, 1], 1, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { addMask, lineMask } from './image/lines.js';
import { MNIST_C } from './papers.js';

export const zigzag = defineCorruption<null>({
  id: 'zigzag',
  title: 'Zigzag',
  family: 'overlay',
  suite: ['mnist-c'],
  paper: MNIST_C,
  random: true,
  graded: false,
  mnistcSeverity: 1,
  severities: { mnist: [null, null, null, null, null] },
  corrupt: (image, _p, { shape, random }) => {
    const [h, w, c] = shape;
    const k = w / 28;
    const a = 2 * k;
    const b = 2 * k;
    const c0 = 2 * k;
    const c1 = w - 3 * k;
    const r0 = random.int(h - 1);
    const r1 = r0 + (random.int(10) - 5) * k;
    const theta = Math.atan((r1 - r0) / (c1 - c0));
    const d = (c1 - c0) / Math.cos(theta);
    const pts: [number, number][] = [[0, 0]];
    let ri = 0;
    for (let i = 0; i <= Math.floor((d - a) / (2 * a)); i++) {
      ri = (i % 2 === 0 ? 1 : -1) * b;
      pts.push([(2 * i + 1) * a, ri]);
    }
    const maxC = 2 * a * Math.floor(d / (2 * a));
    if (d !== maxC) pts.push([d, ri / (2 * (d - maxC))]);
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const rotated = pts.map(([pc, pr]) => [cos * pc - sin * pr + c0, sin * pc + cos * pr + r0] as const);
    const mask = new Float32Array(h * w);
    for (let i = 1; i < rotated.length; i++) {
      const seg = lineMask(h, w, rotated[i - 1][0], rotated[i - 1][1], rotated[i][0], rotated[i][1]);
      for (let j = 0; j < mask.length; j++) mask[j] = Math.min(1, mask[j] + seg[j]);
    }
    return addMask(image, c, mask);
  },
});
