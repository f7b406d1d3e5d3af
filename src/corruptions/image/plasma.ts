/**
 * Plasma fractal (diamond–square) height map in [0, 1], the fog texture of ImageNet-C: start from a zero
 * corner, at each halving of the step fill square centres then diamond points with the mean of their
 * neighbours plus uniform noise of amplitude `wibble`, which decays by `decay` per level. Wraps around
 * (toroidal) like the reference.
 */
import type { Random } from '../../engine/random.js';

/** A mapsize×mapsize map (mapsize a power of two ≥ 2), row-major. */
export function plasmaFractal(mapsize: number, decay: number, random: Random): Float32Array {
  const n = mapsize;
  const map = new Float64Array(n * n);
  const mask = n - 1;
  const at = (y: number, x: number): number => map[(y & mask) * n + (x & mask)];
  let step = n;
  let wibble = 100;
  const jitter = (): number => wibble * (random.next() * 2 - 1) * wibble;
  while (step >= 2) {
    const half = step / 2;
    for (let y = 0; y < n; y += step) for (let x = 0; x < n; x += step) {
      const s = at(y, x) + at(y + step, x) + at(y, x + step) + at(y + step, x + step);
      map[(y + half) * n + x + half] = s / 4 + jitter();
    }
    for (let y = 0; y < n; y += step) for (let x = 0; x < n; x += step) {
      // top-edge midpoint (y, x+half) and left-edge midpoint (y+half, x)
      const top = at(y, x) + at(y, x + step) + at(y + half, x + half) + at(y - half, x + half);
      map[y * n + x + half] = top / 4 + jitter();
      const left = at(y, x) + at(y + step, x) + at(y + half, x + half) + at(y + half, x - half);
      map[(y + half) * n + x] = left / 4 + jitter();
    }
    step = half;
    wibble /= decay;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(n * n);
  const range = hi - lo || 1;
  for (let i = 0; i < out.length; i++) out[i] = (map[i] - lo) / range;
  return out;
}

/** Smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}
