/**
 * The soft line of the MNIST-C overlays: between columns c0 and c1, pixels at vertical distance d from the line
 * through (c0, r0)–(c1, r1) get intensity log(1 − d/t) + 1 clipped to [0, 1] (t = 2.3 px at 28 px, scaled with
 * the image); columns left of ⌊c0⌋ and from ⌈c1⌉ on are 0. Returns an H×W mask.
 */
export function lineMask(h: number, w: number, c0: number, r0: number, c1: number, r1: number): Float32Array {
  const mask = new Float32Array(h * w);
  if (c1 === c0) return mask;
  const t = (2.3 * w) / 28;
  const m = (r1 - r0) / (c1 - c0);
  const left = Math.floor(c0);
  const right = Math.ceil(c1);
  for (let y = 0; y < h; y++) {
    for (let x = Math.max(0, left); x < Math.min(w, right); x++) {
      const d = Math.min(Math.abs(y - (m * (x - c0) + r0)), t - 1e-10);
      mask[y * w + x] = Math.min(1, Math.max(0, Math.log(1 - d / t) + 1));
    }
  }
  return mask;
}

/** Adds an H×W mask to every channel (caller clips). */
export function addMask(image: Float32Array, channels: number, mask: Float32Array): Float32Array {
  return image.map((v, i) => v + mask[Math.floor(i / channels)]);
}
