// The statistics core against independent reference values: published tables where they exist (each case says
// which), hand derivations written out step by step otherwise, and a second, independent computation in the test
// (numerical integration, bisection on the defining equation, closed forms, a power calculation) as a cross-check.
// Then the laws that must hold for any counts.
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import {
  SRM_ALPHA,
  Z95,
  chiSquareUpper,
  erf,
  erfc,
  gammaQ,
  lnGamma,
  normalCdf,
  normalQuantile,
  sampleNeeded,
  srm,
  twoProportion,
  uplift,
  verdict,
  wilson,
  type Arm,
} from '../server/stats';

const arm = (conversions: number, exposures: number): Arm => ({ conversions, exposures });

/** An arm with `min`…`max` exposures and any number of conversions up to that. */
const armArb = (min: number, max: number) =>
  fc
    .integer({ min, max })
    .chain((n) => fc.record({ conversions: fc.integer({ min: 0, max: n }), exposures: fc.constant(n) }));

/** |actual − expected| ≤ rel·|expected| (for values spanning many orders of magnitude). */
function expectRel(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/** Composite Simpson's rule, an integration independent of every approximation in server/stats.ts. */
function simpson(f: (x: number) => number, a: number, b: number, n = 2000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

/** A Wilson bound found by bisection on its defining score equation (p̂ − π)² = z²·π(1 − π)/n, not the closed form. */
function wilsonByBisection(x: number, n: number, z: number, side: 'low' | 'high'): number {
  const p = x / n;
  const g = (pi: number) => (p - pi) * (p - pi) - (z * z * pi * (1 - pi)) / n; // > 0 outside the interval
  let [a, b] = side === 'low' ? [0, p] : [p, 1];
  if (side === 'low' && x === 0) return 0;
  if (side === 'high' && x === n) return 1;
  for (let i = 0; i < 200; i++) {
    const m = (a + b) / 2;
    if (side === 'low' ? g(m) > 0 : g(m) < 0) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

describe('erf, erfc and the normal CDF', () => {
  // erf/erfc: x = 0.1 … 2 as in Abramowitz & Stegun, Handbook of Mathematical Functions (1964), Table 7.1; all
  // digits below (and the far-tail erfc values, beyond that table) from mpmath at 30 significant digits.
  const erfCases: [x: number, erf: number, erfc: number][] = [
    [0.1, 0.11246291601828489, 0.88753708398171511],
    [0.5, 0.52049987781304654, 0.47950012218695346],
    [1, 0.84270079294971487, 0.15729920705028513],
    [1.5, 0.96610514647531073, 0.033894853524689273],
    [2, 0.99532226501895273, 0.0046777349810472658],
    [3, 0.99997790950300141, 2.2090496998585441e-5],
    [4, 0.9999999845827421, 1.5417257900280019e-8],
    [5, 0.99999999999846254, 1.5374597944280349e-12],
    [6, 1, 2.1519736712498913e-17],
    [10, 1, 2.0884875837625448e-45],
  ];
  it.each(erfCases)('erf(%d) = %d, erfc = %d (relative error < 1e-13)', (x, e, ec) => {
    expectRel(erf(x), e, 1e-13);
    expectRel(erfc(x), ec, 1e-13);
    expectRel(erf(-x), -e, 1e-13);
    expectRel(erfc(-x), 2 - ec, 1e-13);
  });

  it('erf(0) = 0, erfc(0) = 1, and far beyond the double range erfc is 0', () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    expect(erfc(30)).toBe(0);
    expect(erfc(-30)).toBe(2);
  });

  // Φ(1.96) and Φ(−1), Φ(−3): standard normal tables (e.g. A&S Table 26.1, 15 decimals); the far tail from mpmath.
  const cdfCases: [x: number, cdf: number, source: string][] = [
    [1.96, 0.97500210485177957, 'table: 0.9750021'],
    [-1, 0.15865525393145705, 'table: 0.1586553'],
    [-3, 0.0013498980316300945, 'table: 0.0013499'],
    [0, 0.5, 'symmetry'],
    [2.5, 0.99379033467422386, 'table: 0.9937903'],
    [-5, 2.8665157187919391e-7, 'mpmath'],
    [-8, 6.2209605742717841e-16, 'mpmath'],
    [-10, 7.6198530241605261e-24, 'mpmath'],
  ];
  it.each(cdfCases)('Φ(%d) = %d (%s)', (x, p) => {
    expectRel(normalCdf(x), p, 1e-12);
  });

  it('Φ agrees with Simpson integration of the density to 1e-12 (independent cross-check)', () => {
    for (const x of [-4, -2.5, -1, -0.3, 0.2, 0.8, 1.5, 3, 4.5]) {
      const integral = 0.5 + Math.sign(x) * simpson(phi, 0, Math.abs(x));
      expect(Math.abs(normalCdf(x) - integral)).toBeLessThan(1e-12);
    }
  });
});

describe('normalQuantile (Wichura AS 241)', () => {
  // Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.8) = 0.8416212, Φ⁻¹(0.95) = 1.6448536, Φ⁻¹(0.995) = 2.5758293, Φ⁻¹(0.9) = 1.2815516
  // are the familiar table values; the full digits (and the far tail) from scipy.stats.norm.ppf.
  const cases: [p: number, x: number][] = [
    [0.975, 1.959963984540054],
    [0.8, 0.8416212335729143],
    [0.95, 1.6448536269514722],
    [0.995, 2.5758293035489004],
    [0.999, 3.090232306167813],
    [0.9, 1.2815515655446004],
    [0.025, -1.959963984540054],
    [1e-10, -6.361340902404056],
    [1e-300, -37.0470962993612],
  ];
  it.each(cases)('Φ⁻¹(%d) = %d', (p, x) => {
    expectRel(normalQuantile(p), x, 1e-14);
  });

  it('is 0 at ½, ±∞ at 0 and 1, and refuses p outside [0, 1]', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    for (const p of [-0.1, 1.1, NaN]) expect(() => normalQuantile(p)).toThrow(RangeError);
  });

  it('Z95 is Φ⁻¹(0.975)', () => {
    expect(Z95).toBeCloseTo(normalQuantile(0.975), 15);
  });

  fcTest.prop([fc.double({ min: 1e-300, max: 0.5, noNaN: true })], { numRuns: 500 })(
    'inverts Φ: Φ(Φ⁻¹(p)) = p to 1e-12 relative, and Φ⁻¹(1 − p) = −Φ⁻¹(p)',
    (p) => {
      expectRel(normalCdf(normalQuantile(p)), p, 1e-12);
      // (1 − p is only exact to ~1e-16 absolute, so compare where that is negligible)
      if (p >= 1e-6) expect(Math.abs(normalQuantile(1 - p) + normalQuantile(p))).toBeLessThan(1e-8);
    },
  );
});

describe('lnGamma and the chi-square upper tail', () => {
  it('lnGamma at known values: factorials and Γ(½) = √π', () => {
    let lnFact99 = 0;
    for (let k = 2; k <= 99; k++) lnFact99 += Math.log(k);
    const cases: [x: number, expected: number][] = [
      [0.5, Math.log(Math.sqrt(Math.PI))], // Γ(½) = √π
      [1.5, Math.log(Math.sqrt(Math.PI) / 2)], // Γ(3/2) = √π/2
      [1, 0],
      [2, 0],
      [5, Math.log(24)], // 4!
      [10, Math.log(362880)], // 9!
      [100, lnFact99], // 99!, summed here
      [0.1, 2.252712651734206], // mpmath
    ];
    for (const [x, expected] of cases) {
      expect(Math.abs(lnGamma(x) - expected)).toBeLessThan(1e-13 * Math.max(1, Math.abs(expected)));
    }
  });

  // Critical values of the chi-square distribution as printed in standard tables (e.g. the NIST/SEMATECH
  // e-Handbook of Statistical Methods, §1.3.6.7.4, there to 3 decimals; 6 decimals as in R's qchisq).
  const criticalValues: [x: number, df: number, p: number][] = [
    [3.841459, 1, 0.05],
    [6.634897, 1, 0.01],
    [10.827566, 1, 0.001],
    [5.991465, 2, 0.05],
    [13.815511, 2, 0.001],
    [7.814728, 3, 0.05],
    [9.487729, 4, 0.05],
    [11.070498, 5, 0.05],
    [18.307038, 10, 0.05],
    [29.588298, 10, 0.001],
  ];
  it.each(criticalValues)('P(χ² ≥ %d | df %d) = %d', (x, df, p) => {
    expectRel(chiSquareUpper(x, df), p, 1e-6);
  });

  it('P(χ²₁ ≥ 10.828) ≈ 0.001 (the 3-decimal table value)', () => {
    expect(Math.abs(chiSquareUpper(10.828, 1) - 0.001)).toBeLessThan(5e-7);
  });

  it('Q(a, 0) = 1, Q(a, ∞) = 0; bad arguments are refused', () => {
    expect(gammaQ(0.5, 0)).toBe(1);
    expect(gammaQ(3, Infinity)).toBe(0);
    expect(() => gammaQ(0, 1)).toThrow(RangeError);
    expect(() => gammaQ(1, -1)).toThrow(RangeError);
    expect(() => chiSquareUpper(1, 0)).toThrow(RangeError);
  });

  // Closed forms for small df (integrating the density by parts): an independent route to the same tail.
  //   df 1: erfc(√(x/2))   df 2: e^(−x/2)   df 3: erfc(√(x/2)) + √(2x/π)·e^(−x/2)   df 4: e^(−x/2)·(1 + x/2)
  //   df 6: e^(−x/2)·(1 + x/2 + x²/8)
  fcTest.prop([fc.double({ min: 0, max: 300, noNaN: true })], { numRuns: 400 })(
    'agrees with the closed forms for df 1, 2, 3, 4, 6',
    (x) => {
      const e = Math.exp(-x / 2);
      const t = erfc(Math.sqrt(x / 2));
      const forms: [df: number, q: number][] = [
        [1, t],
        [2, e],
        [3, t + Math.sqrt((2 * x) / Math.PI) * e],
        [4, e * (1 + x / 2)],
        [6, e * (1 + x / 2 + (x * x) / 8)],
      ];
      for (const [df, q] of forms) {
        const got = chiSquareUpper(x, df);
        expect(Math.abs(got - q)).toBeLessThanOrEqual(1e-12 * q + 1e-15);
        expect(got).toBeGreaterThanOrEqual(0);
        expect(got).toBeLessThanOrEqual(1);
      }
    },
  );
});

describe('wilson', () => {
  // 10/100 by hand, z = 1.959964, z² = 3.841459:
  //   centre = (10 + z²/2)/(100 + z²) = 11.920729/103.841459 = 0.114797
  //   half   = z/(100 + z²)·√(10·90/100 + z²/4) = 1.959964/103.841459 · √9.960365 = 0.018875 · 3.156005 = 0.059568
  //   → (0.055229, 0.174366), i.e. (0.0552, 0.1744).
  // The other four: R. G. Newcombe, Stat. Med. 17 (1998) 857–872, Table I, method 3 (score interval).
  const cases: [x: number, n: number, low: number, high: number, source: string][] = [
    [10, 100, 0.0552, 0.1744, 'by hand'],
    [81, 263, 0.2553, 0.3662, 'Newcombe 1998 Table I'],
    [15, 148, 0.0624, 0.1605, 'Newcombe 1998 Table I'],
    [0, 20, 0, 0.1611, 'Newcombe 1998 Table I'],
    [1, 29, 0.0061, 0.1718, 'Newcombe 1998 Table I'],
  ];
  it.each(cases)('%d/%d → (%d, %d) (%s)', (x, n, low, high) => {
    const w = wilson(x, n);
    expect(w.rate).toBe(x / n);
    expect(w.low).toBeCloseTo(low, 4);
    expect(w.high).toBeCloseTo(high, 4);
    // Cross-check: the roots of the score equation found by bisection.
    expect(w.low).toBeCloseTo(wilsonByBisection(x, n, Z95, 'low'), 12);
    expect(w.high).toBeCloseTo(wilsonByBisection(x, n, Z95, 'high'), 12);
  });

  it('no trials: rate 0 and the whole of [0, 1]; all successes: the upper bound is 1', () => {
    expect(wilson(0, 0)).toEqual({ rate: 0, low: 0, high: 1 });
    const all = wilson(29, 29);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.883, 3); // mirror of 0/29: 1 − 29/(29 + z²)
  });

  it('a wider z gives a wider interval (z = 2.5758 for 99 %)', () => {
    const w95 = wilson(30, 200);
    const w99 = wilson(30, 200, normalQuantile(0.995));
    expect(w99.low).toBeLessThan(w95.low);
    expect(w99.high).toBeGreaterThan(w95.high);
  });

  it('refuses impossible counts', () => {
    expect(() => wilson(5, 4)).toThrow(RangeError);
    expect(() => wilson(-1, 4)).toThrow(RangeError);
    expect(() => wilson(1, Infinity)).toThrow(RangeError);
    expect(() => wilson(1, 4, 0)).toThrow(RangeError);
  });

  const counts = fc
    .integer({ min: 1, max: 1_000_000 })
    .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));

  fcTest.prop([counts], { numRuns: 500 })('bounds lie within [0, 1] and contain the rate', ([x, n]) => {
    const w = wilson(x, n);
    expect(w.low).toBeGreaterThanOrEqual(0);
    expect(w.high).toBeLessThanOrEqual(1);
    expect(w.low).toBeLessThanOrEqual(w.rate);
    expect(w.high).toBeGreaterThanOrEqual(w.rate);
  });

  fcTest.prop([counts, fc.integer({ min: 2, max: 100 })], { numRuns: 500 })(
    'the interval narrows as trials grow at the same rate',
    ([x, n], k) => {
      const small = wilson(x, n);
      const large = wilson(k * x, k * n);
      expect(large.high - large.low).toBeLessThan(small.high - small.low);
    },
  );
});

describe('twoProportion (pooled z-test)', () => {
  it('control 100/1000 vs variant 130/1000, by hand', () => {
    // p̄ = 230/2000 = 0.115;  p̄(1 − p̄)(1/1000 + 1/1000) = 0.115·0.885·0.002 = 0.00020355;  SE = 0.0142671
    // z = (0.13 − 0.10)/0.0142671 = 2.102741;  p = 2·(1 − Φ(2.102741)) = 2·0.0177442 = 0.0354885
    const { z, p } = twoProportion(arm(100, 1000), arm(130, 1000));
    expect(z).toBeCloseTo(2.102741, 6);
    expect(p).toBeCloseTo(0.0354885, 7);
    // Cross-check: z² is Pearson's χ² on the 2×2 table (expected 115/885 per row), whose tail goes through the
    // incomplete gamma instead of erfc: χ² = 2·15²/115 + 2·15²/885 = 4.421519.
    const chi = (2 * 15 ** 2) / 115 + (2 * 15 ** 2) / 885;
    expect(z * z).toBeCloseTo(chi, 10);
    expect(p).toBeCloseTo(chiSquareUpper(chi, 1), 12);
  });

  it('equal rates give z = 0, p = 1; no variance or no exposures also gives p = 1', () => {
    expect(twoProportion(arm(50, 1000), arm(100, 2000))).toEqual({ z: 0, p: 1 });
    expect(twoProportion(arm(0, 100), arm(0, 100))).toEqual({ z: 0, p: 1 });
    expect(twoProportion(arm(100, 100), arm(50, 50))).toEqual({ z: 0, p: 1 });
    expect(twoProportion(arm(0, 0), arm(5, 50))).toEqual({ z: 0, p: 1 });
  });

  it('refuses impossible arms', () => {
    expect(() => twoProportion(arm(11, 10), arm(1, 10))).toThrow(RangeError);
    expect(() => twoProportion(arm(1, 10), arm(NaN, 10))).toThrow(RangeError);
  });

  fcTest.prop([armArb(0, 100_000), armArb(0, 100_000)], { numRuns: 500 })(
    'p lies in [0, 1] and is symmetric under swapping the arms',
    (a, b) => {
      const ab = twoProportion(a, b);
      const ba = twoProportion(b, a);
      expect(ab.p).toBeGreaterThanOrEqual(0);
      expect(ab.p).toBeLessThanOrEqual(1);
      expect(ba.p).toBe(ab.p);
      expect(ba.z).toBe(ab.z === 0 ? 0 : -ab.z);
    },
  );
});

describe('uplift', () => {
  it('relative uplift with the Katz log interval, by hand: control 100/1000, variant 130/1000', () => {
    // RR = 0.13/0.10 = 1.3, ln RR = 0.262364
    // SE(ln RR) = √(1/130 − 1/1000 + 1/100 − 1/1000) = √0.0156923 = 0.125269;  z·SE = 0.245523
    // exp(0.262364 − 0.245523) = exp(0.016842) = 1.016984;  exp(0.507887) = 1.661776
    // → uplift +30 %, interval (+1.70 %, +66.18 %)
    const u = uplift(arm(100, 1000), arm(130, 1000));
    expect(u.relative).toBeCloseTo(0.3, 12);
    expect(u.low).toBeCloseTo(0.016984, 6);
    expect(u.high).toBeCloseTo(0.661776, 6);
    expect(u.difference.value).toBeCloseTo(0.03, 12);
  });

  // Newcombe's hybrid score interval (method 10) for the difference: R. G. Newcombe, Stat. Med. 17 (1998) 873–890,
  // Table II, examples (a), (b), (d)–(h), recalled to 4 decimals and agreeing with an independent recomputation
  // (mpmath, 30 digits) to all 4. Newcombe's p₁ − p₂ is variant − control here.
  const newcombe: [variant: Arm, control: Arm, low: number, high: number, example: string][] = [
    [arm(56, 70), arm(48, 80), 0.0524, 0.3339, '(a)'],
    [arm(9, 10), arm(3, 10), 0.1705, 0.809, '(b)'],
    [arm(5, 56), arm(0, 29), -0.0381, 0.1926, '(d)'],
    [arm(0, 10), arm(0, 20), -0.1611, 0.2775, '(e)'],
    [arm(0, 10), arm(0, 10), -0.2775, 0.2775, '(f)'],
    [arm(10, 10), arm(0, 20), 0.6791, 1, '(g)'],
    [arm(10, 10), arm(0, 10), 0.6075, 1, '(h)'],
  ];
  it.each(newcombe)('difference interval for %j − %j is (%d, %d), Newcombe %s', (variant, control, low, high) => {
    const { difference } = uplift(control, variant);
    expect(difference.low).toBeCloseTo(low, 4);
    expect(difference.high).toBeCloseTo(high, 4);
    // Cross-check with Wilson bounds found by bisection and composed as in method 10.
    const pv = variant.conversions / variant.exposures;
    const pc = control.conversions / control.exposures;
    const lv = wilsonByBisection(variant.conversions, variant.exposures, Z95, 'low');
    const uv = wilsonByBisection(variant.conversions, variant.exposures, Z95, 'high');
    const lc = wilsonByBisection(control.conversions, control.exposures, Z95, 'low');
    const uc = wilsonByBisection(control.conversions, control.exposures, Z95, 'high');
    expect(difference.low).toBeCloseTo(pv - pc - Math.sqrt((pv - lv) ** 2 + (uc - pc) ** 2), 10);
    expect(difference.high).toBeCloseTo(pv - pc + Math.sqrt((uv - pv) ** 2 + (pc - lc) ** 2), 10);
  });

  it('no conversions in control: no relative uplift at all, the difference is still defined', () => {
    const u = uplift(arm(0, 50), arm(3, 50));
    expect(u).toMatchObject({ relative: null, low: null, high: null });
    expect(u.difference.value).toBeCloseTo(0.06, 12);
    expect(u.difference.low).toBeLessThan(0.06);
  });

  it('no conversions in the variant: −100 % with no Katz bounds', () => {
    const u = uplift(arm(3, 50), arm(0, 50));
    expect(u).toMatchObject({ relative: -1, low: null, high: null });
  });

  fcTest.prop([armArb(1, 100_000), armArb(1, 100_000)], { numRuns: 500 })(
    'the intervals contain their estimates and stay in range',
    (c, v) => {
      const u = uplift(c, v);
      if (u.low !== null && u.high !== null && u.relative !== null) {
        expect(u.low).toBeLessThanOrEqual(u.relative + 1e-12);
        expect(u.high).toBeGreaterThanOrEqual(u.relative - 1e-12);
        expect(u.low).toBeGreaterThan(-1);
      }
      const d = u.difference;
      expect(d.low).toBeLessThanOrEqual(d.value + 1e-12);
      expect(d.high).toBeGreaterThanOrEqual(d.value - 1e-12);
      expect(d.low).toBeGreaterThanOrEqual(-1);
      expect(d.high).toBeLessThanOrEqual(1);
    },
  );
});

describe('sampleNeeded', () => {
  /** Power of the pooled test with n per arm (the function R's power.prop.test solves for n). */
  function power(n: number, p1: number, p2: number, alpha = 0.05): number {
    const pBar = (p1 + p2) / 2;
    const za = normalQuantile(1 - alpha / 2);
    const sd0 = Math.sqrt(2 * pBar * (1 - pBar));
    const sd1 = Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
    return normalCdf((Math.sqrt(n) * Math.abs(p2 - p1) - za * sd0) / sd1);
  }

  it('5 % baseline, +10 % relative, alpha .05, power .8: 31,234 per arm, by hand', () => {
    // p₁ = 0.05, p₂ = 0.055, p̄ = 0.0525
    // √(2·p̄·q̄) = √(2·0.0525·0.9475) = √0.0994875 = 0.3154164;  √(p₁q₁ + p₂q₂) = √(0.0475 + 0.051975) = 0.3153966
    // 1.959964·0.3154164 + 0.8416212·0.3153966 = 0.6182048 + 0.2654445 = 0.8836492;  squared 0.7808359
    // / 0.005² = 31,233.44 → 31,234 (the "about 31,200" of the issue; R: power.prop.test(p1=.05, p2=.055, power=.8))
    const n = sampleNeeded(0.05, 0.1);
    expect(n).toBe(31_234);
    expect(power(n, 0.05, 0.055)).toBeGreaterThanOrEqual(0.8);
    expect(power(n - 1, 0.05, 0.055)).toBeLessThan(0.8);
  });

  const cases: [baseline: number, uplift: number, alpha: number, pow: number, n: number][] = [
    [0.1, 0.2, 0.05, 0.8, 3_841], // 3,840.85
    [0.05, -0.2, 0.05, 0.8, 6_745], // a drop: 6,744.93
    [0.1, 0.3, 0.01, 0.8, 2_640], // 2,639.95
    [0.1, 0.2, 0.01, 0.9, 7_281], // 7,280.99
    [0.05, 0.1, 0.05, 0.9, 41_813], // 41,812.21
  ];
  it.each(cases)('baseline %d, uplift %d, alpha %d, power %d → %d per arm', (b, u, alpha, pow, n) => {
    expect(sampleNeeded(b, u, { alpha, power: pow })).toBe(n);
    // Cross-check by the power function: n is the smallest sample with the asked-for power.
    const p2 = b * (1 + u);
    expect(power(n, b, p2, alpha)).toBeGreaterThanOrEqual(pow);
    expect(power(n - 1, b, p2, alpha)).toBeLessThan(pow);
  });

  it('a target of exactly 100 % is allowed whatever the rounding', () => {
    for (const b of [0.3, 0.7, 0.1, 1 / 3, 0.9]) expect(sampleNeeded(b, 1 / b - 1)).toBeGreaterThan(0);
  });

  it('refuses a baseline outside (0, 1), no uplift, or a target rate outside [0, 1]', () => {
    expect(() => sampleNeeded(0, 0.1)).toThrow(RangeError);
    expect(() => sampleNeeded(1, 0.1)).toThrow(RangeError);
    expect(() => sampleNeeded(0.1, 0)).toThrow(RangeError);
    expect(() => sampleNeeded(0.6, 1)).toThrow(RangeError);
    expect(() => sampleNeeded(0.1, 0.1, { alpha: 0 })).toThrow(RangeError);
  });

  const rate = fc.double({ min: 0.001, max: 0.5, noNaN: true });
  const effect = fc.double({ min: 0.01, max: 0.5, noNaN: true });
  fcTest.prop([rate, effect], { numRuns: 200 })(
    'a larger effect needs fewer exposures',
    (b, u) => {
      expect(sampleNeeded(b, u * 1.5)).toBeLessThanOrEqual(sampleNeeded(b, u));
    },
  );
});

describe('verdict', () => {
  it('winning: 130/1000 against 100/1000 (p = 0.0355, Katz interval +1.7 % … +66.2 %)', () => {
    const v = verdict(arm(100, 1000), arm(130, 1000));
    expect(v.verdict).toBe('winning');
    expect(v.p).toBeCloseTo(0.0354885, 7);
    expect(v.needed).toBe(0);
    expect(v.uplift.low).toBeCloseTo(0.016984, 6);
  });

  it('losing: the same arms the other way round', () => {
    const v = verdict(arm(130, 1000), arm(100, 1000));
    expect(v.verdict).toBe('losing');
    expect(v.needed).toBe(0);
    expect(v.uplift.high).toBeLessThan(0);
  });

  it('at alpha .01 the same data is inconclusive; needed is for the observed +30 % at that level', () => {
    const v = verdict(arm(100, 1000), arm(130, 1000), { alpha: 0.01 });
    expect(v.verdict).toBe('inconclusive');
    // sampleNeeded(0.10, 0.30, alpha .01, power .8) = 2,640 per arm; both arms hold 1,000.
    expect(v.needed).toBe(2_640 - 1_000);
    // and the uplift interval is the 99 % one, so it now includes 0
    expect(v.uplift.low).toBeLessThan(0);
  });

  it('inconclusive with a large observed uplift: needed detects that uplift', () => {
    // 12/100 vs 10/100: +20 % observed ≥ the 10 % floor; sampleNeeded(0.10, 0.20) = 3,841; 100 already there.
    const v = verdict(arm(10, 100), arm(12, 100));
    expect(v.verdict).toBe('inconclusive');
    expect(v.needed).toBe(3_841 - 100);
  });

  it('inconclusive with a tiny observed uplift: needed detects the 10 % minimum effect instead', () => {
    // +1 % observed < 10 %: sampleNeeded(0.05, 0.10) = 31,234; 10,000 already there.
    const v = verdict(arm(500, 10_000), arm(505, 10_000));
    expect(v.verdict).toBe('inconclusive');
    expect(v.needed).toBe(31_234 - 10_000);
    // a larger minimum effect needs fewer: +20 % at a 5 % baseline takes 8,158 per arm
    expect(verdict(arm(100, 2_000), arm(101, 2_000), { minDetectableEffect: 0.2 }).needed).toBe(8_158 - 2_000);
  });

  it('inconclusive drop: needed is for the observed −20 %, counted from the smaller arm', () => {
    const v = verdict(arm(50, 1_000), arm(40, 900));
    expect(v.verdict).toBe('inconclusive');
    const observed = 40 / 900 / 0.05 - 1;
    expect(v.needed).toBe(sampleNeeded(0.05, observed) - 900);
  });

  it('already past the planned sample while inconclusive: nothing more is needed', () => {
    const v = verdict(arm(5_000, 100_000), arm(5_050, 100_000));
    expect(v.verdict).toBe('inconclusive');
    expect(v.needed).toBe(0);
  });

  it('no conversions anywhere: inconclusive, p = 1, and no baseline to plan with', () => {
    const v = verdict(arm(0, 100), arm(0, 100));
    expect(v).toMatchObject({ verdict: 'inconclusive', p: 1, needed: null });
  });

  it('no conversions in control: the Newcombe difference interval decides the direction', () => {
    // p = 7.0e-6 (z = 0.02/√(0.01·0.99·0.002) = 4.4947);
    // difference low = 0.02 − √((0.02 − 0.012984)² + 0.003827²) = 0.0120 (Wilson 20/1000 low, 0/1000 high)
    const v = verdict(arm(0, 1_000), arm(20, 1_000));
    expect(v.uplift.relative).toBeNull();
    expect(v.p).toBeCloseTo(6.968e-6, 8);
    expect(v.uplift.difference.low).toBeCloseTo(0.012008, 6);
    expect(v.verdict).toBe('winning');
    expect(verdict(arm(20, 1_000), arm(0, 1_000)).verdict).toBe('losing');
  });

  fcTest.prop([armArb(0, 50_000), armArb(0, 50_000)], { numRuns: 400 })(
    'swapping the arms swaps winning and losing and keeps p; needed is 0 exactly when decided, else ≥ 0 or null',
    (a, b) => {
      const ab = verdict(a, b);
      const ba = verdict(b, a);
      expect(ba.p).toBe(ab.p);
      const mirror = { winning: 'losing', losing: 'winning', inconclusive: 'inconclusive' } as const;
      expect(ba.verdict).toBe(mirror[ab.verdict]);
      if (ab.verdict !== 'inconclusive') expect(ab.needed).toBe(0);
      else if (ab.needed !== null) {
        expect(ab.needed).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(ab.needed)).toBe(true);
      }
      expect(ab.p).toBeGreaterThanOrEqual(0);
      expect(ab.p).toBeLessThanOrEqual(1);
    },
  );
});

describe('srm (sample-ratio mismatch)', () => {
  it('600/400 on a 50/50 split: χ² = 40, p = 2.54e-10 (the example in Wikipedia, "Sample ratio mismatch")', () => {
    // e = 500 each; χ² = 100²/500 + 100²/500 = 40; p = erfc(√20) = 2.5396e-10
    const r = srm([600, 400], [1, 1]);
    expect(r.chiSquare).toBe(40);
    expect(r.df).toBe(1);
    expectRel(r.p, 2.54e-10, 1e-3);
    expect(r.mismatch).toBe(true);
  });

  it('51,000/49,000 of 100,000 on 50/50 is a mismatch (χ² = 2·1000²/50000 = 40)', () => {
    const r = srm([51_000, 49_000], [0.5, 0.5]);
    expect(r.chiSquare).toBeCloseTo(40, 10);
    expect(r.p).toBeLessThan(SRM_ALPHA);
    expect(r.mismatch).toBe(true);
  });

  // R. Kohavi, D. Tang & Y. Xu, Trustworthy Online Controlled Experiments (2020), ch. 3.
  it('821,588 vs 815,482 on 50/50: p = 1.8e-6 (Kohavi, Tang & Xu)', () => {
    // N = 1,637,070, e = 818,535, |o − e| = 3,053; χ² = 2·3053²/818535 = 22.7744
    const r = srm([821_588, 815_482], [50, 50]);
    expect(r.chiSquare).toBeCloseTo(22.7744, 4);
    expectRel(r.p, 1.8e-6, 0.02);
    expect(r.mismatch).toBe(true);
  });

  it('three arms, 340/330/330 on equal weights, by hand: χ² = 0.2, p = e^(−0.1) = 0.904837 (df 2)', () => {
    // e = 333.333; χ² = (6.667² + 3.333² + 3.333²)/333.333 = 66.667/333.333 = 0.2
    const r = srm([340, 330, 330], [1, 1, 1]);
    expect(r.chiSquare).toBeCloseTo(0.2, 12);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(Math.exp(-0.1), 12);
    expect(r.mismatch).toBe(false);
  });

  it('exact counts on unequal weights: χ² = 0, p = 1', () => {
    expect(srm([1_000, 2_000, 1_000], [1, 2, 1])).toEqual({ chiSquare: 0, df: 2, p: 1, mismatch: false });
  });

  it('a drift that is just chance is not a mismatch: 50,150/49,850 on 50/50 (χ² = 0.9, p = 0.343)', () => {
    const r = srm([50_150, 49_850], [1, 1]);
    expect(r.chiSquare).toBeCloseTo(0.9, 10);
    expect(r.p).toBeCloseTo(erfc(Math.sqrt(0.45)), 12);
    expect(r.mismatch).toBe(false);
  });

  it('weight 0: left out when empty, a certain mismatch when it received assignments', () => {
    expect(srm([500, 500, 0], [1, 1, 0])).toMatchObject({ chiSquare: 0, df: 1, p: 1, mismatch: false });
    expect(srm([500, 500, 3], [1, 1, 0])).toMatchObject({ chiSquare: Infinity, p: 0, mismatch: true });
  });

  it('no assignments, or one weighted arm: nothing to test', () => {
    expect(srm([0, 0], [1, 1])).toEqual({ chiSquare: 0, df: 1, p: 1, mismatch: false });
    expect(srm([123], [1])).toEqual({ chiSquare: 0, df: 0, p: 1, mismatch: false });
  });

  it('refuses mismatched lengths, negative counts and all-zero weights', () => {
    expect(() => srm([1, 2], [1])).toThrow(RangeError);
    expect(() => srm([], [])).toThrow(RangeError);
    expect(() => srm([-1, 2], [1, 1])).toThrow(RangeError);
    expect(() => srm([1, 2], [0, 0])).toThrow(RangeError);
  });

  const integerWeights = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 });
  fcTest.prop([integerWeights, fc.integer({ min: 1, max: 100_000 })], { numRuns: 300 })(
    'counts exactly on the weights give p = 1 and no mismatch',
    (weights, m) => {
      const r = srm(weights.map((w) => w * m), weights);
      expect(r.chiSquare).toBe(0);
      expect(r.p).toBe(1);
      expect(r.mismatch).toBe(false);
    },
  );

  const armAndWeight = fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0.01, max: 10, noNaN: true }));
  const arms = fc.array(armAndWeight, { minLength: 2, maxLength: 8 });
  fcTest.prop([arms], { numRuns: 300 })(
    'p lies in [0, 1], df = arms − 1, and mismatch is p < 0.001',
    (arms) => {
      const r = srm(arms.map(([o]) => o), arms.map(([, w]) => w));
      expect(r.df).toBe(arms.length - 1);
      expect(r.p).toBeGreaterThanOrEqual(0);
      expect(r.p).toBeLessThanOrEqual(1);
      expect(r.mismatch).toBe(r.p < 0.001);
    },
  );
});
