/** Colour helpers: RGB ↔ HSV per pixel; gray results use the luminance weights of skimage's rgb2gray (0.2125, 0.7154, 0.0721). */

/** [r, g, b] in [0, 1] → [h, s, v] in [0, 1]. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
    if (h < 0) h += 1;
  }
  return [h, max === 0 ? 0 : d / max, max];
}

export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hh = ((h % 1) + 1) % 1 * 6;
  const i = Math.floor(hh);
  const f = hh - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  switch (i % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/** Apply an HSV transform to every pixel (1-channel images are treated as gray RGB and converted back). */
export function mapHsv(image: Float32Array, channels: number, f: (hsv: [number, number, number]) => [number, number, number]): Float32Array {
  const out = new Float32Array(image.length);
  const n = image.length / channels;
  for (let i = 0; i < n; i++) {
    const r = image[i * channels];
    const g = channels === 3 ? image[i * 3 + 1] : r;
    const b = channels === 3 ? image[i * 3 + 2] : r;
    const hsv = f(rgbToHsv(r, g, b));
    const [r2, g2, b2] = hsvToRgb(Math.min(1, Math.max(0, hsv[0])), Math.min(1, Math.max(0, hsv[1])), Math.min(1, Math.max(0, hsv[2])));
    if (channels === 3) {
      out[i * 3] = r2;
      out[i * 3 + 1] = g2;
      out[i * 3 + 2] = b2;
    } else {
      out[i] = 0.2125 * r2 + 0.7154 * g2 + 0.0721 * b2;
    }
  }
  return out;
}
