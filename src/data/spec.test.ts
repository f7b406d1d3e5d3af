/** Data spec parsing: every accepted form, defaults, and the errors for typos. */
import { describe, expect, it } from 'vitest';
import { RampartError } from '../errors.js';
import { parseDataSpec } from './spec.js';

describe('parseDataSpec', () => {
  it('parses every form', () => {
    expect(parseDataSpec('mnist')).toEqual({ kind: 'mnist', split: 'test' });
    expect(parseDataSpec('mnist:train')).toEqual({ kind: 'mnist', split: 'train' });
    expect(parseDataSpec('MNIST:all')).toEqual({ kind: 'mnist', split: 'all' });
    expect(parseDataSpec('fashion-mnist')).toEqual({ kind: 'fashion-mnist', split: 'test' });
    expect(parseDataSpec('fashion-mnist:train')).toEqual({ kind: 'fashion-mnist', split: 'train' });
    expect(parseDataSpec('npz:data/adv x.npz')).toEqual({ kind: 'npz', path: 'data/adv x.npz' });
    expect(parseDataSpec('npy:x.npy, y.npy')).toEqual({ kind: 'npy', xPath: 'x.npy', yPath: 'y.npy' });
    expect(parseDataSpec('idx:a.gz,b.gz')).toEqual({ kind: 'idx', imagesPath: 'a.gz', labelsPath: 'b.gz' });
    expect(parseDataSpec('csv:/tmp/t.csv')).toEqual({ kind: 'csv', path: '/tmp/t.csv' });
    expect(parseDataSpec('images:photos/')).toEqual({ kind: 'images', dir: 'photos/' });
  });

  it.each([
    ['cifar10', /unknown dataset name/],
    ['hdf5:x.h5', /unknown prefix "hdf5:"/],
    ['mnist:validation', /unknown MNIST split/],
    ['fashion-mnist:all', /use train or test/],
    ['npz:', /needs a path/],
    ['npy:x.npy', /two paths/],
    ['idx:a,b,c', /two paths/],
  ])('rejects %s with DATA_SPEC and the list of valid forms', (spec, message) => {
    try {
      parseDataSpec(spec);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(RampartError);
      expect((error as RampartError).code).toBe('DATA_SPEC');
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('npz:PATH');
      expect((error as Error).message).toContain('images:DIR');
    }
  });
});
