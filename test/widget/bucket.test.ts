// Experiment bucketing (widget/bucket.ts): GrowthBook's published cross-SDK cases first (hash, bucket ranges,
// chooseVariation, and the run/feature cases that only bucketing decides), then FNV-1a over UTF-16 for any
// input, then Kairos' assign(): the arms order, stickiness, splits of 100,000 visitor ids within one percentage
// point of the weights, and independence between campaigns.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { assign, bucketRanges, chooseVariation, fnv1a32, hash, type Arms } from '../../widget/bucket';
import {
  CHOOSE_VARIATION,
  EXPERIMENT_BUCKETS,
  FNV,
  GET_BUCKET_RANGE,
  HASH,
  RUN,
} from '../fixtures/growthbook-hash-cases';

const equal = (n: number) => Array.from({ length: n }, () => 1 / n);
// Data from a payload may carry any version number; hash() answers null for the ones it does not know.
const anyVersion = (v: number) => v as 1 | 2;

describe('GrowthBook cases (test/fixtures/growthbook-hash-cases.ts)', () => {
  it.each(HASH)('hash(%j, %j, %i) = %j', (seed, value, version, expected) => {
    expect(hash(seed, value, anyVersion(version))).toBe(expected);
  });

  it.each(FNV)('fnv1a32(%j) %% 1000 = %i', (value, expected) => {
    expect(fnv1a32(value) % 1000).toBe(expected);
  });

  // GrowthBook's getBucketRanges(numVariations, coverage, weights) takes the count apart from the weights (null:
  // equal weights); bucketRanges(weights, coverage) takes the count from the weights, so a null becomes
  // equal weights for that count. The case giving 3 weights for 4 variations cannot be put to it (its answer, 4
  // equal ranges, is GrowthBook's fallback for a length that does not match): left out.
  const MISMATCH = 'weights.length not equal to num variations';
  it.each(GET_BUCKET_RANGE.filter(([name]) => name !== MISMATCH))('getBucketRange: %s', (_name, [n, coverage, weights], expected) => {
    const ranges = bucketRanges(weights ?? equal(n), coverage);
    expect(ranges).toHaveLength(expected.length);
    // GrowthBook's own runner compares after flooring to 8 decimals (0.2 + 0.2 × 0.3 is 0.26000000000000006).
    ranges.forEach(([start, end], i) => {
      expect(start).toBeCloseTo(expected[i]![0], 8);
      expect(end).toBeCloseTo(expected[i]![1], 8);
    });
  });

  it.each(CHOOSE_VARIATION)('chooseVariation: %s', (_name, n, ranges, expected) => {
    expect(chooseVariation(n, ranges)).toBe(expected);
  });

  // What GrowthBook's run() does once nothing but bucketing decides: hash(seed || key, id, hashVersion || 1),
  // the experiment's ranges or getBucketRanges(count, coverage ?? 1, weights), chooseVariation.
  it.each(RUN)('run: %s', (_name, id, exp, value, inExperiment) => {
    const n = hash(exp.seed || exp.key, id, anyVersion(exp.hashVersion || 1))!;
    const ranges = exp.ranges ?? bucketRanges(exp.weights ?? equal(exp.variations.length), exp.coverage ?? 1);
    expect(chooseVariation(n, ranges)).toBe(inExperiment ? value : -1);
  });

  it.each(EXPERIMENT_BUCKETS)('experimentResult.bucket, %s', (_name, seed, value, version, bucket) => {
    expect(hash(seed, value, anyVersion(version))).toBe(bucket);
  });

  // The same experiments through Kairos' assign (version 2, seed = campaign id), arms as GrowthBook's variations.
  it.each<[source: string, campaign: string, visitor: string, arms: Arms, arm: number]>([
    // weights [0.3334, 0.3333, 0.3333], hashVersion 2, seed feature-exp: variationId 1 for d123, 2 for i123
    ['stickyBucket: performs evaluation without sticky bucket', 'feature-exp', 'd123', { weights: [0.3334, 0.3333, 0.3333] }, 1],
    ['stickyBucket: resets sticky bucketing when the bucketVersion changes', 'feature-exp', 'i123', { weights: [0.3334, 0.3333, 0.3333] }, 2],
    // ranges [0, 0.99), [0.99, 1): variationId 0 = the holdout range
    ['feature: Support holdout groups (rule "holdout")', 'holdout', '1', { holdout: 0.99, weights: [1] }, 0],
    // ranges [0, 0.01), [0.01, 1): variation 1 (passthrough), then rule "experiment" 50/50 gives variationId 0
    ['feature: Support passthrough variations (rule "holdout")', 'holdout', '1', { holdout: 0.01, weights: [1] }, 1],
    ['feature: Support passthrough variations (rule "experiment")', 'experiment', '1', { weights: [1, 1] }, 0],
    ['run: Uses seed with default weights/coverage', 'foo', '1', { weights: [0.5, 0.5] }, 1],
  ])('assign agrees with %s', (_source, campaign, visitor, arms, arm) => {
    expect(assign(campaign, visitor, arms)).toBe(arm);
  });
});

describe('fnv1a32', () => {
  // The FNV reference test vectors for 32-bit FNV-1a (ASCII, so bytes and UTF-16 code units agree).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('FNV-1a 32 of %j', (s, expected) => {
    expect(fnv1a32(s)).toBe(expected);
  });

  // Two independent statements of FNV-1a over UTF-16 code units: the multiplication done exactly with BigInt,
  // and GrowthBook's form (the prime as shifted adds, reduced to 32 bits by the next xor and the final >>> 0).
  const exact = (s: string) => {
    let h = 0x811c9dc5n;
    for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x01000193n) & 0xffffffffn;
    return Number(h);
  };
  const shiftedAdds = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h += (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24);
    }
    return h >>> 0;
  };
  // Any UTF-16 code units, lone surrogates included.
  const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });

  test.prop([fc.oneof(utf16, fc.string({ unit: 'binary' }), fc.string())])('is FNV-1a over UTF-16 code units, for any string', (s) => {
    const h = fnv1a32(s);
    expect(h).toBe(exact(s));
    expect(h).toBe(shiftedAdds(s));
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });

  // GrowthBook's cases are all ASCII. These values are what the published SDK (@growthbook/growthbook 1.8.0,
  // its hash() in dist/esm/util.mjs) returns for the same inputs, pinned here.
  it.each<[string, number, number, number]>([
    ['é', 1812687940, 0.94, 0.3908],
    ['ü', 2030796987, 0.987, 0.2847],
    ['Straße', 98148515, 0.515, 0.5739],
    ['日本語', 1409693518, 0.518, 0.4766],
    ['😀', 3409036472, 0.472, 0.5116],
    ['\uD800', 75617567, 0.567, 0.5453],
    ['visitor_ünïcödé', 113669423, 0.423, 0.1359],
  ])('non-ASCII %j: as GrowthBook hashes it', (s, fnv, v1, v2) => {
    expect(fnv1a32(s)).toBe(fnv);
    expect(hash('', s, 1)).toBe(v1);
    expect(hash('kampagne-ä', s, 2)).toBe(v2);
  });

  it('hashes UTF-16 code units, not UTF-8 bytes: "é" differs from FNV-1a over its bytes C3 A9', () => {
    const bytes = String.fromCharCode(0xc3, 0xa9);
    expect(fnv1a32('é')).not.toBe(fnv1a32(bytes));
    expect(fnv1a32('😀')).toBe(exact('\uD83D\uDE00'));
  });
});

describe('hash', () => {
  test.prop([fc.string(), fc.string()])('version 1 is k / 1000 and version 2 is k / 10000, k an integer bucket', (seed, value) => {
    const v1 = hash(seed, value, 1)!;
    const v2 = hash(seed, value, 2)!;
    expect(Number.isInteger(Math.round(v1 * 1000)) && v1 >= 0 && v1 <= 0.999).toBe(true);
    expect(v1).toBe(Math.round(v1 * 1000) / 1000);
    expect(v2 >= 0 && v2 <= 0.9999).toBe(true);
    expect(v2).toBe(Math.round(v2 * 10000) / 10000);
  });

  it('puts the seed after the value in version 1 and before it in version 2, with no separator', () => {
    expect(hash('ef', 'd', 1)).toBe((fnv1a32('def') % 1000) / 1000);
    expect(hash('ab', 'c', 2)).toBe(hash('a', 'bc', 2));
    expect(hash('ab', 'c', 2)).toBe((fnv1a32(String(fnv1a32('abc'))) % 10000) / 10000);
  });

  it.each([0, 3, -1, NaN])('version %s: null', (v) => {
    expect(hash('seed', 'value', anyVersion(v))).toBeNull();
  });
});

describe('bucketRanges and chooseVariation, beyond the cases', () => {
  it('no weights: no ranges, and no variation', () => {
    expect(bucketRanges([])).toEqual([]);
    expect(chooseVariation(0.5, [])).toBe(-1);
  });

  it('NaN weights or coverage: equal weights; a NaN coverage covers nothing', () => {
    expect(bucketRanges([NaN, 0.5])).toEqual([[0, 0.5], [0.5, 1]]);
    expect(chooseVariation(0.3, bucketRanges([0.5, 0.5], NaN))).toBe(-1);
  });

  it('a range holds its start, not its end; the last range ends before 1 only by weights that sum short', () => {
    expect(chooseVariation(0.9999, bucketRanges([0.4, 0.5999]))).toBe(-1);
    expect(chooseVariation(0.9998, bucketRanges([0.4, 0.5999]))).toBe(1);
  });
});

// ---- Kairos' assign -------------------------------------------------------------------------------------------

/** The arms' shares: the holdout first (when > 0), then the variants by normalised weight. */
const shares = ({ weights, holdout = 0 }: Arms) => {
  const total = weights.reduce((s, w) => s + w, 0);
  return [...(holdout > 0 ? [holdout] : []), ...weights.map((w) => ((1 - holdout) * w) / total)];
};

// mulberry32: a small seeded generator, so the random ids are the same on every run.
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 100,000 ids like widget/ids.ts makes (16 base64url characters), from a seeded generator. */
const randomIds = (seed: number, n = 100_000) => {
  const next = seeded(seed);
  return Array.from({ length: n }, () => Array.from({ length: 16 }, () => B64URL[Math.floor(next() * 64)]).join(''));
};
const ID_SETS: [name: string, ids: string[]][] = [
  ['visitor_${i}', Array.from({ length: 100_000 }, (_, i) => `visitor_${i}`)],
  ['random base64url ids', randomIds(20260701)],
];

const armsArb = fc.record({
  weights: fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(0, -1, NaN)), { maxLength: 6 }),
  holdout: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, -0.5, 2, NaN, undefined)),
});

describe('assign', () => {
  it('arms: 0 is the holdout when there is one, then the variants in order; without one, variants from 0', () => {
    // the holdout takes [0, h): a visitor hashing below it is arm 0, else variant i is arm i + 1. Boundaries are
    // put 0.001 either side of one visitor's hash.
    const visitor = Array.from({ length: 100 }, (_, i) => `v${i}`).find((id) => Math.abs(hash('c', id, 2)! - 0.6) < 0.2)!;
    const v = hash('c', visitor, 2)!;
    expect(assign('c', visitor, { holdout: v + 0.001, weights: [1] })).toBe(0);
    expect(assign('c', visitor, { holdout: v - 0.001, weights: [1] })).toBe(1);
    expect(assign('c', visitor, { weights: [v + 0.001, 1 - v - 0.001] })).toBe(0);
    expect(assign('c', visitor, { weights: [v - 0.001, 1 - v + 0.001] })).toBe(1);
    // holdout 0.2, variants [0.2, x) and [x, 1): arm 2 when x is below the hash, arm 1 when above
    expect(assign('c', visitor, { holdout: 0.2, weights: [v - 0.2 - 0.001, 1 - v + 0.001] })).toBe(2);
    expect(assign('c', visitor, { holdout: 0.2, weights: [v - 0.2 + 0.001, 1 - v - 0.001] })).toBe(1);
  });

  it('is version 2 hashing with the campaign id as the seed, through GrowthBook-style ranges [holdout, ...shares]', () => {
    for (let i = 0; i < 1000; i++) {
      const id = `visitor_${i}`;
      const n = hash('spring-sale', id, 2)!;
      expect(assign('spring-sale', id, { holdout: 0.1, weights: [1, 2] })).toBe(chooseVariation(n, bucketRanges([0.1, 0.3, 0.6])));
      expect(assign('spring-sale', id, { weights: [3, 1] })).toBe(chooseVariation(n, bucketRanges([0.75, 0.25])));
    }
  });

  test.prop([fc.string(), fc.string(), armsArb])('is sticky: the same campaign, visitor and arms give the same arm', (campaign, visitor, arms) => {
    const first = assign(campaign, visitor, arms);
    expect(assign(campaign, visitor, { ...arms, weights: [...arms.weights] })).toBe(first);
    expect(assign(String(campaign), `${visitor}`, arms)).toBe(first);
  });

  test.prop([fc.string(), fc.string(), armsArb])('always answers an arm that exists, never −1', (campaign, visitor, arms) => {
    const count = Math.max(arms.weights.length, 1) + ((arms.holdout ?? 0) > 0 ? 1 : 0);
    const arm = assign(campaign, visitor, arms);
    expect(Number.isInteger(arm) && arm >= 0 && arm < count).toBe(true);
  });

  test.prop([fc.string(), fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 0.99, noNaN: true })])(
    'never puts anyone in a variant of weight 0 (when some weight is positive)',
    (visitor, weights, holdout) => {
      fc.pre(weights.some((w) => w > 0));
      const off = holdout > 0 ? 1 : 0;
      const arm = assign('campaign', visitor, { weights, holdout });
      if (arm >= off) expect(weights[arm - off]).toBeGreaterThan(0);
    },
  );

  it('holdout 1: everyone is held out; holdout 0 or none: nobody is', () => {
    for (let i = 0; i < 500; i++) {
      expect(assign('c', `v${i}`, { holdout: 1, weights: [1, 1] })).toBe(0);
      expect(assign('c', `v${i}`, { holdout: 0, weights: [0, 1] })).toBe(1);
      expect(assign('c', `v${i}`, { weights: [0, 0, 1] })).toBe(2);
    }
  });

  it('weights are relative: [1, 3], [0.25, 0.75] and [25, 75] are the same split', () => {
    for (let i = 0; i < 2000; i++) {
      const a = assign('c', `v${i}`, { weights: [1, 3] });
      expect(assign('c', `v${i}`, { weights: [0.25, 0.75] })).toBe(a);
      expect(assign('c', `v${i}`, { weights: [25, 75] })).toBe(a);
    }
  });

  it('no positive weight: the variants share equally; no variants: everyone in the one arm there is', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(assign('c', `v${i}`, { weights: [0, -1, NaN] }));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(assign('c', 'v', { weights: [] })).toBe(0);
    expect(assign('c', 'v', { weights: [], holdout: 0.5 })).toBeGreaterThanOrEqual(0);
  });

  describe.each<[name: string, arms: Arms]>([
    ['50/50', { weights: [50, 50] }],
    ['10/90 holdout', { holdout: 0.1, weights: [1] }],
    ['20/40/40 (holdout 20, two variants)', { holdout: 0.2, weights: [1, 1] }],
    ['20/40/40 (three variants)', { weights: [0.2, 0.4, 0.4] }],
    ['1/99', { weights: [1, 99] }],
    ['1/99 holdout', { holdout: 0.01, weights: [1] }],
  ])('split %s', (_name, arms) => {
    const expected = shares(arms);
    it.each(ID_SETS)('100,000 %s: every arm within 1 percentage point of its weight', (_ids, ids) => {
      const counts = expected.map(() => 0);
      for (const id of ids) counts[assign('split-test', id, arms)]!++;
      counts.forEach((c, arm) => expect(Math.abs(c / ids.length - expected[arm]!)).toBeLessThanOrEqual(0.01));
    });
  });

  // Two campaigns seed the hash differently, so a visitor's arm in one says nothing of their arm in the other:
  // each joint share is the product of the two shares. Prefix-related ids ('sale', 'sale-2') included, since
  // GrowthBook concatenates seed and id with no separator; and a renamed campaign is a different seed.
  describe.each<[a: string, b: string, armsA: Arms, armsB: Arms]>([
    ['spring-sale', 'exit-offer', { weights: [1, 1] }, { weights: [1, 1] }],
    ['sale', 'sale-2', { holdout: 0.1, weights: [1] }, { weights: [0.2, 0.4, 0.4] }],
    ['free-shipping', 'free-shipping-renamed', { weights: [1, 1] }, { holdout: 0.2, weights: [1, 1] }],
  ])('independence: %s × %s', (a, b, armsA, armsB) => {
    it.each(ID_SETS)('100,000 %s: P(arm i of one and arm j of the other) = P(i)·P(j) within 1 pp', (_ids, ids) => {
      const [sa, sb] = [shares(armsA), shares(armsB)];
      const joint = sa.map(() => sb.map(() => 0));
      for (const id of ids) joint[assign(a, id, armsA)]![assign(b, id, armsB)]!++;
      sa.forEach((pa, i) =>
        sb.forEach((pb, j) => expect(Math.abs(joint[i]![j]! / ids.length - pa * pb)).toBeLessThanOrEqual(0.01)),
      );
      // in particular arm 0 of both (the share the issue asks about)
      expect(Math.abs(joint[0]![0]! / ids.length - sa[0]! * sb[0]!)).toBeLessThanOrEqual(0.01);
    });
  });

  it('renaming a campaign re-randomises it: about half the visitors of a 50/50 test change arm', () => {
    const ids = ID_SETS[1]![1];
    let moved = 0;
    for (const id of ids) if (assign('free-shipping', id, { weights: [1, 1] }) !== assign('free-shipping-v2', id, { weights: [1, 1] })) moved++;
    expect(Math.abs(moved / ids.length - 0.5)).toBeLessThanOrEqual(0.01);
  });
});
