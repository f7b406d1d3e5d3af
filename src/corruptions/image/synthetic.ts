/**
 * A deterministic synthetic RGB test image (no data files): a smooth colour gradient, a filled disk, a bright
 * square and a diagonal stripe pattern, so blur, noise, colour and geometric corruptions all have visible
 * structure to act on. Used by the golden previews, tests and the benchmark.
 */
export function syntheticRgb(h = 32, w = 32): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / (w - 1);
      const v = y / (h - 1);
      let r = 0.2 + 0.6 * u;
      let g = 0.3 + 0.4 * v;
      let b = 0.7 - 0.5 * u * v;
      const dx = u - 0.35;
      const dy = v - 0.6;
      if (dx * dx + dy * dy < 0.05) [r, g, b] = [0.9, 0.2, 0.15];
      if (u > 0.6 && u < 0.85 && v > 0.15 && v < 0.4) [r, g, b] = [0.95, 0.95, 0.3];
      if (u > 0.55 && v > 0.55 && Math.floor((x + y) / 2) % 2 === 0) [r, g, b] = [0.1, 0.15, 0.5];
      const i = (y * w + x) * 3;
      out[i] = r;
      out[i + 1] = g;
      out[i + 2] = b;
    }
  }
  return out;
}
