/**
 * Gallery examples for the report: the original image, the perturbed one (adversarial or corrupted) and the
 * amplified absolute difference, each as a PNG file under `<outDir>/gallery/` and inlined as a data URI, with the
 * model's predictions and softmax confidences on both images (from a fresh forward pass).
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../../engine/tf.js';
import type { Model } from '../../engine/model.js';
import { encodePng } from '../../corruptions/preview.js';
import type { GalleryEntry, GalleryImage, GalleryPrediction } from './results.js';

export interface GalleryItem {
  id: string;
  kind: GalleryEntry['kind'];
  section: string;
  sampleIndex: number;
  trueLabel: number;
  description: string;
  original: Float32Array;
  perturbed: Float32Array;
  attack?: GalleryEntry['attack'];
  corruption?: GalleryEntry['corruption'];
}

function image(bytes: Buffer, outDir: string | null, name: string, width: number, height: number): GalleryImage {
  let file: string | null = null;
  if (outDir !== null) {
    const dir = path.join(outDir, 'gallery');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
    file = `gallery/${name}`;
  }
  return { file, dataUri: `data:image/png;base64,${bytes.toString('base64')}`, width, height };
}

/** One image (values in [0, 1], [H, W, C]) as a gallery PNG: written to `<outDir>/gallery/<name>` (unless outDir is null) and inlined. */
export function galleryPng(values: Float32Array, shape: readonly [number, number, number], outDir: string | null, name: string): GalleryImage {
  return image(encodePng(values, [shape[0], shape[1], shape[2]]), outDir, name.replace(/[^a-z0-9.-]/gi, '_'), shape[1], shape[0]);
}

async function predictions(model: Model, images: Float32Array[], shape: readonly number[]): Promise<GalleryPrediction[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  const batch = new Float32Array(images.length * size);
  images.forEach((img, i) => batch.set(img, i * size));
  const x = tf.tensor(batch, [images.length, ...shape], 'float32');
  try {
    const logits = await model.logits(x);
    const probs = tf.tidy(() => tf.softmax(logits));
    logits.dispose();
    const values = (await probs.data()) as Float32Array;
    probs.dispose();
    const k = values.length / images.length;
    return images.map((_, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (values[i * k + c] > values[i * k + best]) best = c;
      return { label: best, confidence: values[i * k + best] };
    });
  } finally {
    x.dispose();
  }
}

/** Builds gallery entries (PNG files written under outDir/gallery unless outDir is null). Image data only. */
export async function buildGallery(model: Model, items: readonly GalleryItem[], sampleShape: readonly number[], outDir: string | null): Promise<GalleryEntry[]> {
  if (items.length === 0 || sampleShape.length !== 3) return [];
  const [h, w, c] = sampleShape as [number, number, number];
  const preds = await predictions(model, items.flatMap((it) => [it.original, it.perturbed]), sampleShape);
  return items.map((item, k) => {
    let linf = 0;
    let l2 = 0;
    const diff = new Float32Array(item.original.length);
    for (let i = 0; i < diff.length; i++) {
      const d = Math.abs(item.perturbed[i] - item.original[i]);
      diff[i] = d;
      linf = Math.max(linf, d);
      l2 += d * d;
    }
    // Scale so the largest change is full white (at most ×50 so rounding noise is not blown up).
    const amplification = linf > 0 ? Math.min(50, 1 / linf) : 1;
    for (let i = 0; i < diff.length; i++) diff[i] = Math.min(1, diff[i] * amplification);
    const name = item.id.replace(/[^a-z0-9-]/gi, '_');
    return {
      id: item.id,
      kind: item.kind,
      section: item.section,
      sampleIndex: item.sampleIndex,
      trueLabel: item.trueLabel,
      description: item.description,
      original: image(encodePng(item.original, [h, w, c]), outDir, `${name}-original.png`, w, h),
      perturbed: image(encodePng(item.perturbed, [h, w, c]), outDir, `${name}-perturbed.png`, w, h),
      difference: image(encodePng(diff, [h, w, c]), outDir, `${name}-difference.png`, w, h),
      amplification,
      originalPrediction: preds[2 * k],
      perturbedPrediction: preds[2 * k + 1],
      perturbation: { linf, l2: Math.sqrt(l2) },
      ...(item.attack ? { attack: item.attack } : {}),
      ...(item.corruption ? { corruption: item.corruption } : {}),
    };
  });
}
