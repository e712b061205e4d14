// Sticky experiment bucketing for campaign variants (copy, offer, layout) with a holdout, GrowthBook-compatible:
// the same hash, bucket ranges and range lookup as GrowthBook's JavaScript SDK (packages/sdk-js/src/util.ts in
// github.com/growthbook/growthbook, MIT), reimplemented here and checked against its published cross-SDK cases
// (test/fixtures/growthbook-hash-cases.ts). Pure and deterministic: no storage, no Math.random, no dependencies;
// the same visitor id always lands in the same arm, on any device that knows the id and in any GrowthBook SDK.

/**
 * FNV-1a, 32 bits, over the string's UTF-16 code units (charCodeAt, so a character outside the BMP is its two
 * surrogates and a lone surrogate hashes as itself), as GrowthBook's hashFnv32a: not over UTF-8 bytes, so
 * non-ASCII input differs from byte-oriented FNV libraries. GrowthBook multiplies by the FNV prime with shifted
 * adds (h << 1, 4, 7, 8, 24, plus h); Math.imul is the same product modulo 2^32. Unsigned result.
 */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * GrowthBook's hash(seed, value, version), a number in [0, 1):
 * - version 1 (GrowthBook's original, biased; kept for compatibility): fnv1a32(value + seed) % 1000 / 1000;
 * - version 2: fnv1a32(decimal string of fnv1a32(seed + value)) % 10000 / 10000, so 10,000 buckets of 0.0001.
 * Seed and value are concatenated with no separator, as GrowthBook does (seed 'ab' with value 'c' is seed 'a'
 * with value 'bc'; a given visitor's hashes under two campaign ids still differ). null for any other version.
 */
export function hash(seed: string, value: string, version: 1 | 2): number | null {
  return version === 2
    ? (fnv1a32('' + fnv1a32(seed + value)) % 10000) / 10000
    : version === 1
      ? (fnv1a32(value + seed) % 1000) / 1000
      : null;
}

/**
 * GrowthBook's getBucketRanges with the number of variations taken from `weights`: one [start, end) range per
 * weight, starting where the previous weight's full share ends and as long as coverage × weight. Coverage is
 * clamped to [0, 1]. Weights are not normalised: unless they add up to 1 ± 0.01 every variation gets an equal
 * weight instead (and so does NaN, which GrowthBook would pass through). Weights of 0.4 and 0.5999 leave
 * [0.9999, 1) in no range, as in GrowthBook.
 */
export function bucketRanges(weights: number[], coverage = 1): [number, number][] {
  const c = coverage < 0 ? 0 : coverage > 1 ? 1 : coverage;
  const total = weights.reduce((a, w) => a + w, 0);
  const ws = total >= 0.99 && total <= 1.01 ? weights : weights.map(() => 1 / weights.length);
  let at = 0;
  return ws.map((w) => {
    const start = at;
    at += w;
    return [start, start + c * w];
  });
}

/** GrowthBook's chooseVariation: the index of the first range [start, end) that holds n, or −1 when none does. */
export function chooseVariation(n: number, ranges: [number, number][]): number {
  for (let i = 0; i < ranges.length; i++) if (n >= ranges[i]![0] && n < ranges[i]![1]) return i;
  return -1;
}

export interface Arms {
  /** Relative weights of the variants, in their order; normalised here, so [1, 1] and [0.5, 0.5] are the same. */
  weights: number[];
  /** Share of visitors held out as control (0–1, default 0): they see the campaign's default, no variant. */
  holdout?: number;
}

/**
 * The arm a visitor is in, for good.
 *
 * Arms: with a holdout (> 0) arm 0 is the holdout and arm i + 1 is variant i; without one, arm i is variant i.
 * The holdout takes the first range [0, holdout) and the variants share the rest by their (normalised) weights,
 * so coverage is full and the result is never −1. Variants with weight 0 get nobody; negative or NaN weights
 * count as 0 (weights must be finite); if none is positive, the variants share equally (an empty list counts as
 * one variant).
 *
 * Hashing is GrowthBook's version 2 with the campaign id as the seed and the visitor id as the value: the same
 * as a GrowthBook experiment with key (or seed) = campaign id, hashVersion 2, coverage 1 and weights
 * [holdout, ...shares]. The seed is the campaign id so that campaigns are randomised independently of each
 * other (a visitor's arm in one test says nothing about their arm in another), and a new campaign starts from
 * a fresh randomisation. Renaming a campaign (changing its id) re-randomises it too: every visitor may switch
 * arms, so a running experiment's id must stay put. Changing the weights or the holdout moves the range
 * boundaries, so it moves the visitors near them (nothing is stored to keep them where they were).
 */
export function assign(campaignId: string, visitorId: string, { weights, holdout = 0 }: Arms): number {
  const h = holdout > 0 ? Math.min(holdout, 1) : 0;
  const ws = weights.length ? weights.map((w) => (w > 0 ? w : 0)) : [1];
  const total = ws.reduce((a, w) => a + w, 0);
  const shares = ws.map((w) => (1 - h) * (total > 0 ? w / total : 1 / ws.length));
  return chooseVariation(hash(campaignId, visitorId, 2)!, bucketRanges(h > 0 ? [h, ...shares] : shares));
}

/** A campaign that may run an experiment (server/schema.ts `variants`, `holdout_percent`). */
export interface Experimental {
  id: string;
  variants?: readonly ({ id: string; weight: number } & object)[] | undefined;
  holdout_percent?: number | undefined;
}

/**
 * The arm of a campaign's experiment this shopper is in, for good (widget/bucket.ts: a hash of the campaign id and
 * visitor id, as GrowthBook does): `holdout` with no campaign (shown nothing), or a variant with the campaign as that
 * variant changes it (each field a variant names replaces the campaign's). Undefined for a campaign without
 * variants or holdout. A holdout without variants is the campaign against nothing: its one arm is `default`. The
 * widget shows what this gives (ui/mount.ts); the server hands out an exit offer variant's coupon by it too.
 */
export function variantOf<C extends Experimental>(campaign: C, visitorId: string): { id: string; campaign?: C } | undefined {
  const { variants, holdout_percent: holdout = 0 } = campaign;
  if (!variants?.length && !(holdout > 0)) return undefined;
  const i = assign(campaign.id, visitorId, { weights: variants?.map((v) => v.weight) ?? [1], holdout: holdout / 100 }) - (holdout > 0 ? 1 : 0);
  if (i < 0) return { id: 'holdout' };
  const { id = 'default', weight: _weight, ...changes } = variants?.[i] ?? {};
  return { id, campaign: { ...campaign, ...changes } };
}
