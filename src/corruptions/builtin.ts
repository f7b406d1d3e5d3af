/**
 * The built-in corruptions: the MNIST-C suite (Mu & Gilmer 2019: identity + 15), the common corruptions
 * (Hendrycks & Dietterich 2019: 15 benchmark ones, suite `common`, and 4 held-out ones, suite `common-extra`).
 * `corruptionRegistry.listBySuite(suite)` returns them in the papers' order.
 */
import { CorruptionRegistry } from './registry.js';
import { identity } from './identity.js';
import { gaussianNoise } from './gaussian-noise.js';
import { shotNoise } from './shot-noise.js';
import { impulseNoise } from './impulse-noise.js';
import { speckleNoise } from './speckle-noise.js';
import { defocusBlur } from './defocus-blur.js';
import { glassBlur } from './glass-blur.js';
import { motionBlur } from './motion-blur.js';
import { zoomBlur } from './zoom-blur.js';
import { gaussianBlur } from './gaussian-blur.js';
import { snow } from './snow.js';
import { frost } from './frost.js';
import { fog } from './fog.js';
import { brightness } from './brightness.js';
import { spatter } from './spatter.js';
import { contrast } from './contrast.js';
import { elasticTransform } from './elastic-transform.js';
import { pixelate } from './pixelate.js';
import { jpegCompression } from './jpeg-compression.js';
import { saturate } from './saturate.js';
import { shear } from './shear.js';
import { scale } from './scale.js';
import { rotate } from './rotate.js';
import { translate } from './translate.js';
import { stripe } from './stripe.js';
import { dottedLine } from './dotted-line.js';
import { zigzag } from './zigzag.js';
import { cannyEdgesCorruption } from './canny-edges.js';

export const corruptionRegistry = new CorruptionRegistry()
  .register(identity)
  .register(gaussianNoise)
  .register(shotNoise)
  .register(impulseNoise)
  .register(speckleNoise)
  .register(defocusBlur)
  .register(glassBlur)
  .register(motionBlur)
  .register(zoomBlur)
  .register(gaussianBlur)
  .register(snow)
  .register(frost)
  .register(fog)
  .register(brightness)
  .register(spatter)
  .register(contrast)
  .register(elasticTransform)
  .register(pixelate)
  .register(jpegCompression)
  .register(saturate)
  .register(shear)
  .register(scale)
  .register(rotate)
  .register(translate)
  .register(stripe)
  .register(dottedLine)
  .register(zigzag)
  .register(cannyEdgesCorruption)
  .order('mnist-c', [
    'identity', 'shot-noise', 'impulse-noise', 'glass-blur', 'motion-blur', 'shear', 'scale', 'rotate', 'brightness',
    'translate', 'stripe', 'fog', 'spatter', 'dotted-line', 'zigzag', 'canny-edges',
  ]);
