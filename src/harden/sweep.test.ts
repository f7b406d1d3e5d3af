/** Sweep helpers: grid expansion and the Pareto front on hand examples. */
import { describe, expect, it } from 'vitest';
import { gridPoints, paretoFront } from './sweep.js';

describe('sweep', () => {
  it('expands the grid as a cartesian product in axis order', () => {
    expect(gridPoints({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('keeps exactly the non-dominated points', () => {
    const p = (c: number, r: number) => ({ cleanAccuracy: c, robustAccuracy: r });
    const points = [p(0.99, 0.0), p(0.97, 0.5), p(0.95, 0.4), p(0.9, 0.8), p(0.9, 0.7), p(0.97, 0.5)];
    const front = paretoFront(points);
    expect(front.map((q) => [q.cleanAccuracy, q.robustAccuracy])).toEqual([
      [0.9, 0.8],
      [0.97, 0.5],
      [0.97, 0.5],
      [0.99, 0],
    ]);
  });
});
