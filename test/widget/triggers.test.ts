// The pure arithmetic inside two triggers: scroll depth, and what counts as a fast scroll up on a touch device.
// Everything that touches the DOM is tested in a real browser (test/e2e/triggers.spec.ts).
import { describe, expect, it } from 'vitest';
import { flick } from '../../widget/triggers/exit-intent';
import { depth } from '../../widget/triggers/scroll-depth';

describe('depth', () => {
  it.each([
    ['top of a long page', 0, 800, 4000, 0.2],
    ['half way', 1200, 800, 4000, 0.5],
    ['bottom', 3200, 800, 4000, 1],
    ['a page shorter than the viewport counts as read to the end', 0, 800, 600, 1],
    ['a page exactly one viewport tall', 0, 800, 800, 1],
    ['no layout yet (scrollHeight 0)', 0, 0, 0, 1],
  ])('%s', (_name, y, h, total, expected) => {
    expect(depth(y, h, total)).toBeCloseTo(expected, 6);
  });
});

/** Feeds [y, t] samples; returns the result after each. */
const run = (samples: [number, number][], f = flick()) => samples.map(([y, t]) => f(y, t));

describe('flick (fast scroll up: ≥ 120 px at ≥ 1 px/ms)', () => {
  it('a steady 2 px/ms scroll up over 160 px fires once it has covered 120 px', () => {
    expect(run([[2000, 0], [1968, 16], [1936, 32], [1904, 48], [1872, 64], [1840, 80]])).toEqual([false, false, false, false, true, true]);
  });

  it('scrolling down never fires', () => {
    expect(run([[0, 0], [500, 10], [1000, 20], [3000, 30]])).toEqual([false, false, false, false]);
  });

  it('a slow scroll up (0.5 px/ms) never fires however far it goes', () => {
    expect(run(Array.from({ length: 40 }, (_, i): [number, number] => [3000 - i * 8, i * 16])).some(Boolean)).toBe(false);
  });

  it('an instant jump up after a pause (anchor, scrollTo) is not a flick: its duration is unknown', () => {
    expect(run([[3000, 0], [0, 2000]])).toEqual([false, false]);
  });

  it('scroll events more than 100 ms apart are separate scrolls, however far each jumps', () => {
    expect(run([[3000, 0], [2800, 150], [2600, 300], [2400, 450]])).toEqual([false, false, false, false]);
  });

  it('the first event after a pause starts the run; the fast frames after it count', () => {
    expect(run([[3000, 0], [2950, 5000], [2900, 5016], [2850, 5032], [2800, 5048]])).toEqual([false, false, false, false, true]);
  });

  it('a scroll down in between restarts the run', () => {
    expect(run([[2000, 0], [1960, 16], [1920, 32], [1940, 48], [1900, 64], [1860, 80]])).toEqual([false, false, false, false, false, false]);
  });

  it('a slow stretch before a fast one does not dilute it', () => {
    const slow: [number, number][] = Array.from({ length: 10 }, (_, i) => [3000 - i * 4, i * 16]);
    const fast: [number, number][] = [[2900, 176], [2840, 192], [2780, 208]];
    expect(run([...slow, ...fast]).at(-1)).toBe(true);
  });

  it('thresholds are parameters', () => {
    expect(run([[1000, 0], [950, 10], [900, 20]], flick(100, 5))).toEqual([false, false, true]);
    expect(run([[1000, 0], [950, 100], [900, 200]], flick(100, 1))).toEqual([false, false, false]);
  });
});
