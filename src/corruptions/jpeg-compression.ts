/**
 * JPEG compression: a baseline JPEG round trip at quality q — the lossy stages of a real encode/decode (YCbCr,
 * 8×8 DCT, standard quantisation tables scaled by q, 4:4:4 as jpeg-js writes) computed directly, checked
 * against jpeg-js encode/decode in the tests (see image/jpeg.ts). Grayscale images are coded as luma only.
 * Paper: Hendrycks & Dietterich 2019, https://arxiv.org/abs/1903.12261.
 * q per severity — CIFAR-10-C (≤ 32 px): 80, 65, 58, 50, 40; ImageNet-C: 25, 18, 15, 10, 7.
 *
 * @example
 * ```ts
 * corruptionRegistry.get('jpeg-compression').apply(image, [32, 32, 3], 5, createRandom(0));
 * ```
 */
import { defineCorruption } from './define.js';
import { jpegRoundTrip } from './image/jpeg.js';
import { IMAGENET_C } from './papers.js';

const imagenet = [25, 18, 15, 10, 7];

export const jpegCompression = defineCorruption<number>({
  id: 'jpeg-compression',
  title: 'JPEG compression',
  family: 'digital',
  suite: ['common'],
  paper: IMAGENET_C,
  random: false,
  graded: true,
  severities: { mnist: imagenet, cifar: [80, 65, 58, 50, 40], imagenet },
  corrupt: (image, quality, { shape }) => jpegRoundTrip(image, shape, quality),
});
