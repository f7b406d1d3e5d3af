/** Leak checks: a block must leave `tf.memory().numTensors` where it found it. */
import { expect } from 'vitest';
import { tf } from '../../src/engine/tf.js';

export async function expectNoLeaks<T>(run: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await run();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  return result;
}
