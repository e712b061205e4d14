// Statistics for experiment reports: the pure core. No I/O, no dependencies, nothing but arithmetic on counts.
//
// For each variant against control: the conversion rate with a Wilson score interval, a pooled two-proportion
// z-test, the relative uplift with a Katz log interval and the absolute difference with Newcombe's hybrid score
// interval, the sample still needed, a verdict; and a sample-ratio-mismatch check on the assignment counts.
//
// The special functions are implemented here from published algorithms, each named where it is defined:
//   erf / erfc           W. J. Cody (1969), rational Chebyshev approximations (netlib specfun CALERF, 1990)
//   Φ⁻¹ (normal quantile) M. J. Wichura (1988), Algorithm AS 241, PPND16
//   ln Γ                 C. Lanczos (1964), g = 7, n = 9 coefficients
//   Q(a, x)              regularized upper incomplete gamma, series + continued fraction as in Numerical Recipes
//
// Counts may be any finite non-negative numbers (they are usually integers); an arm with more conversions than
// exposures, a negative or non-finite count is a RangeError, never a silently wrong number.

/** The two-sided 95 % standard normal quantile Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/** SRM is flagged below this p-value (see srm()). */
export const SRM_ALPHA = 0.001;

/** Conversions out of exposures for one arm of an experiment. */
export interface Arm {
  conversions: number;
  exposures: number;
}

export interface RateInterval {
  /** successes / trials (0 when there are no trials) */
  rate: number;
  low: number;
  high: number;
}

export interface ZTest {
  /** positive when the variant converts better than control */
  z: number;
  /** two-sided p-value, in [0, 1] */
  p: number;
}

export interface Uplift {
  /** variant rate / control rate − 1; null when the control rate is 0 (no ratio exists) */
  relative: number | null;
  /** Katz log interval for `relative`; null when either arm has no conversions (the log ratio is undefined) */
  low: number | null;
  high: number | null;
  /** variant rate − control rate with Newcombe's hybrid score interval (always defined) */
  difference: { value: number; low: number; high: number };
}

export type VerdictKind = 'winning' | 'losing' | 'inconclusive';

export interface VerdictOptions {
  /** two-sided significance level, default 0.05; the uplift interval is computed at the same level */
  alpha?: number;
  /** power for the sample still needed, default 0.8 */
  power?: number;
  /** smallest relative uplift worth detecting, default 0.10 (10 %); see verdict() */
  minDetectableEffect?: number;
}

export interface Verdict {
  verdict: VerdictKind;
  p: number;
  uplift: Uplift;
  /**
   * Additional exposures per arm still needed (0 once the verdict is winning or losing, or when the arms already
   * hold the planned sample); null when no conversion has been seen in either arm, so there is no baseline rate.
   */
  needed: number | null;
}

export interface Srm {
  chiSquare: number;
  df: number;
  p: number;
  /** p < SRM_ALPHA (0.001) */
  mismatch: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Input checks

function checkCount(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
}

function checkArm(arm: Arm, name: string): void {
  checkCount(arm.conversions, `${name}.conversions`);
  checkCount(arm.exposures, `${name}.exposures`);
  if (arm.conversions > arm.exposures) {
    throw new RangeError(`${name} has more conversions (${arm.conversions}) than exposures (${arm.exposures})`);
  }
}

function checkOpen01(value: number, name: string): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`${name} must be in (0, 1), got ${value}`);
}

function checkZ(z: number): void {
  if (!(Number.isFinite(z) && z > 0)) throw new RangeError(`z must be a finite number > 0, got ${z}`);
}

const rateOf = (arm: Arm): number => (arm.exposures > 0 ? arm.conversions / arm.exposures : 0);

// ---------------------------------------------------------------------------------------------------------------
// Error function and the normal distribution

// W. J. Cody, "Rational Chebyshev approximations for the error function", Mathematics of Computation 23 (1969)
// 631–637, as implemented in his CALERF (netlib specfun, last modified 1990). Three intervals:
//   |x| ≤ 0.46875        erf(x)  = x·R₁(x²)                  (A, B)
//   0.46875 < |x| ≤ 4    erfc(x) = e^(−x²)·R₂(x)             (C, D)
//   |x| > 4              erfc(x) = e^(−x²)/x·(1/√π + R₃(1/x²)/x²)  (P, Q)
// Each rational function is near-minimax to ≥ 18 significant digits, so in IEEE doubles erf and erfc are good to a
// few ulps (far better than the 1e-9 asked for). e^(−x²) is computed as e^(−t²)·e^(−(x−t)(x+t)) with t = x rounded
// down to a multiple of 1/16, Cody's guard against the rounding error of squaring x.
const ERF_A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const ERF_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const ERF_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const ERF_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const ERF_P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4,
  0.0163153871373020978,
];
const ERF_Q = [
  2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185,
];
const INV_SQRT_PI = 0.56418958354775628695;
/** Above this, erfc(x) underflows to 0 in doubles (Cody's XBIG for IEEE double precision). */
const ERFC_XBIG = 26.543;

// `at` for the coefficient tables above: indices are fixed and in range (noUncheckedIndexedAccess).
const c = (table: readonly number[], i: number): number => table[i] as number;

/** erfc(|x|) for |x| > 0.46875 (Cody's second and third intervals). */
function erfcTail(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = c(ERF_C, 8) * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + c(ERF_C, i)) * y;
      den = (den + c(ERF_D, i)) * y;
    }
    r = (num + c(ERF_C, 7)) / (den + c(ERF_D, 7));
  } else {
    if (y >= ERFC_XBIG) return 0;
    const ysq = 1 / (y * y);
    let num = c(ERF_P, 5) * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + c(ERF_P, i)) * ysq;
      den = (den + c(ERF_Q, i)) * ysq;
    }
    r = (ysq * (num + c(ERF_P, 4))) / (den + c(ERF_Q, 4));
    r = (INV_SQRT_PI - r) / y;
  }
  const t = Math.trunc(y * 16) / 16;
  const del = (y - t) * (y + t);
  return Math.exp(-t * t) * Math.exp(-del) * r;
}

/** erf(x) for |x| ≤ 0.46875 (Cody's first interval). */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > 1.11e-16 ? y * y : 0;
  let num = c(ERF_A, 4) * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + c(ERF_A, i)) * ysq;
    den = (den + c(ERF_B, i)) * ysq;
  }
  return (x * (num + c(ERF_A, 3))) / (den + c(ERF_B, 3));
}

/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (Cody 1969). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 0.5 - erfcTail(y) + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function erfc(x) = 1 − erf(x), accurate in the far tail (Cody 1969). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = erfcTail(y);
  return x < 0 ? 2 - r : r;
}

/** Standard normal CDF Φ(x) = ½·erfc(−x/√2); through erfc, so the lower tail keeps its relative accuracy. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

// M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution", Applied Statistics 37
// (1988) 477–484, function PPND16: rational approximations in r = 0.180625 − q² for |p − ½| ≤ 0.425, otherwise in
// r = √(−ln min(p, 1 − p)) (split at r = 5); relative accuracy about 1e-16.
const AS241_A = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457,
  67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
];
const AS241_B = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061,
  28729.085735721942674, 5226.495278852854561,
];
const AS241_C = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258,
  0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const AS241_D = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
  0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const AS241_E = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
  0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const AS241_F = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4,
  1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
];

/** Σ coef[i]·x^i by Horner's rule. */
function poly(coef: readonly number[], x: number): number {
  let s = 0;
  for (let i = coef.length - 1; i >= 0; i--) s = s * x + c(coef, i);
  return s;
}

/**
 * Inverse standard normal CDF Φ⁻¹(p) (Wichura 1988, AS 241 PPND16). Φ⁻¹(0) = −∞, Φ⁻¹(1) = +∞; p outside [0, 1]
 * is a RangeError.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(AS241_A, r)) / poly(AS241_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = poly(AS241_C, r) / poly(AS241_D, r);
  } else {
    r -= 5;
    x = poly(AS241_E, r) / poly(AS241_F, r);
  }
  return q < 0 ? -x : x;
}

// ---------------------------------------------------------------------------------------------------------------
// Gamma function and the chi-square upper tail

// C. Lanczos, "A precision approximation of the gamma function", SIAM J. Numer. Anal. B 1 (1964) 86–96, with the
// widely published g = 7, n = 9 coefficients (P. Godfrey); relative error about 1e-15 for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LN_2PI = 0.91893853320467274178;

/** ln Γ(x) for x > 0 (Lanczos 1964). */
export function lnGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`lnGamma needs a finite x > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection Γ(x)Γ(1 − x) = π / sin(πx) keeps the series in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  }
  const xm1 = x - 1;
  let a = c(LANCZOS, 0);
  for (let i = 1; i < LANCZOS.length; i++) a += c(LANCZOS, i) / (xm1 + i);
  const t = xm1 + LANCZOS_G + 0.5;
  return HALF_LN_2PI + (xm1 + 0.5) * Math.log(t) - t + Math.log(a);
}

const GAMMA_EPS = 1e-16;
const GAMMA_ITMAX = 100_000;
const FPMIN = 1e-300;

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a), the chi-square tail via Q(k/2, χ²/2). As in Press,
 * Teukolsky, Vetterling & Flannery, Numerical Recipes in C, 2nd ed. (1992), §6.2 (gammq/gser/gcf): for x < a + 1
 * the series P(a, x) = e^(−x) x^a / Γ(a) · Σₙ xⁿ / (a(a+1)…(a+n)) and Q = 1 − P; otherwise the continued fraction
 * Q(a, x) = e^(−x) x^a / Γ(a) · 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))), evaluated by the
 * modified Lentz method (§5.2). Both converge fast in their regions; iteration stops at relative change < 1e-16.
 */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`gammaQ needs a finite a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`gammaQ needs x ≥ 0, got ${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const logPrefix = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < GAMMA_ITMAX; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * GAMMA_EPS) return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefix)));
    }
    throw new Error(`gammaQ(${a}, ${x}): series did not converge`);
  }
  let b = x + 1 - a;
  let cc = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= GAMMA_ITMAX; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    cc = b + an / cc;
    if (Math.abs(cc) < FPMIN) cc = FPMIN;
    d = 1 / d;
    const del = d * cc;
    h *= del;
    if (Math.abs(del - 1) < GAMMA_EPS) return Math.min(1, Math.max(0, Math.exp(logPrefix) * h));
  }
  throw new Error(`gammaQ(${a}, ${x}): continued fraction did not converge`);
}

/** Upper tail P(X ≥ x) of the chi-square distribution with df degrees of freedom: Q(df/2, x/2). */
export function chiSquareUpper(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (!(x >= 0)) throw new RangeError(`chi-square must be ≥ 0, got ${x}`);
  return gammaQ(df / 2, x / 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Proportions

/**
 * Wilson score interval for a binomial proportion: E. B. Wilson, "Probable inference, the law of succession, and
 * statistical inference", JASA 22 (1927) 209–212; method 3 in R. G. Newcombe, "Two-sided confidence intervals for
 * the single proportion: comparison of seven methods", Stat. Med. 17 (1998) 857–872; recommended over the Wald
 * interval by A. Agresti & B. A. Coull, "Approximate is better than 'exact'…", Am. Stat. 52 (1998) 119–126.
 * The bounds are the two roots π of |p̂ − π| = z·√(π(1 − π)/n):
 *   (x + z²/2 ± z·√(x(n − x)/n + z²/4)) / (n + z²),   p̂ = x/n.
 * It stays inside [0, 1] and behaves at 0 and n successes. No trials: rate 0 and the whole of [0, 1].
 */
export function wilson(successes: number, trials: number, z: number = Z95): RateInterval {
  checkCount(successes, 'successes');
  checkCount(trials, 'trials');
  if (successes > trials) throw new RangeError(`successes (${successes}) exceed trials (${trials})`);
  checkZ(z);
  if (trials === 0) return { rate: 0, low: 0, high: 1 };
  const z2 = z * z;
  const denom = trials + z2;
  const centre = (successes + z2 / 2) / denom;
  const half = (z / denom) * Math.sqrt((successes * (trials - successes)) / trials + z2 / 4);
  return {
    rate: successes / trials,
    // At 0 (or n) successes the bound is exactly 0 (or 1); set it so rounding cannot put it a hair outside.
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === trials ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Pooled two-proportion z-test (the score test; equivalent to Pearson's χ² on the 2×2 table without continuity
 * correction, z² = χ²): p̄ = (x₁ + x₂)/(n₁ + n₂), z = (p̂_v − p̂_c) / √(p̄(1 − p̄)(1/n_c + 1/n_v)), two-sided
 * p = 2·Φ(−|z|) = erfc(|z|/√2). With no variance to test (an arm without exposures, or no/only conversions in
 * both arms) there is no evidence of a difference: z = 0, p = 1. Swapping the arms negates z and keeps p exactly.
 */
export function twoProportion(control: Arm, variant: Arm): ZTest {
  checkArm(control, 'control');
  checkArm(variant, 'variant');
  const nc = control.exposures;
  const nv = variant.exposures;
  if (nc === 0 || nv === 0) return { z: 0, p: 1 };
  const pooled = (control.conversions + variant.conversions) / (nc + nv);
  const variance = pooled * (1 - pooled) * (1 / nc + 1 / nv);
  if (!(variance > 0)) return { z: 0, p: 1 };
  const z = (rateOf(variant) - rateOf(control)) / Math.sqrt(variance);
  return { z, p: Math.min(1, erfc(Math.abs(z) * Math.SQRT1_2)) };
}

/**
 * Relative uplift (variant rate / control rate − 1) and the absolute difference (variant rate − control rate),
 * each with an interval at the level of `z` (default 95 %).
 *
 * Relative: the Katz log method (D. Katz, J. Baptista, S. P. Azen & M. C. Pike, "Obtaining confidence intervals for
 * the risk ratio in cohort studies", Biometrics 34 (1978) 469–474), i.e. the delta method on ln(RR):
 *   SE(ln RR) = √(1/x_v − 1/n_v + 1/x_c − 1/n_c),  bounds exp(ln RR ± z·SE) − 1.
 * Working on the log scale keeps the interval asymmetric and above −100 % at small counts. With no conversions in
 * an arm ln RR is undefined: the bounds are null (and so is `relative` itself when the control rate is 0).
 *
 * Difference: Newcombe's hybrid score interval (R. G. Newcombe, "Interval estimation for the difference between
 * independent proportions: comparison of eleven methods", Stat. Med. 17 (1998) 873–890, method 10). With Wilson
 * intervals (l_c, u_c) and (l_v, u_v) for each rate and d = p̂_v − p̂_c:
 *   low  = d − √((p̂_v − l_v)² + (u_c − p̂_c)²),   high = d + √((u_v − p̂_v)² + (p̂_c − l_c)²).
 * Defined for every count, including zeros, and always within [−1, 1].
 */
export function uplift(control: Arm, variant: Arm, z: number = Z95): Uplift {
  checkArm(control, 'control');
  checkArm(variant, 'variant');
  checkZ(z);
  const pc = rateOf(control);
  const pv = rateOf(variant);

  let relative: number | null = null;
  let low: number | null = null;
  let high: number | null = null;
  if (pc > 0) {
    relative = pv / pc - 1;
    if (pv > 0) {
      const lnRR = Math.log(pv / pc);
      const se = Math.sqrt(
        Math.max(0, 1 / variant.conversions - 1 / variant.exposures + 1 / control.conversions - 1 / control.exposures),
      );
      low = Math.exp(lnRR - z * se) - 1;
      high = Math.exp(lnRR + z * se) - 1;
    }
  }

  const wc = wilson(control.conversions, control.exposures, z);
  const wv = wilson(variant.conversions, variant.exposures, z);
  const d = pv - pc;
  const difference = {
    value: d,
    low: Math.max(-1, d - Math.hypot(pv - wv.low, wc.high - pc)),
    high: Math.min(1, d + Math.hypot(wv.high - pv, pc - wc.low)),
  };
  return { relative, low, high, difference };
}

/**
 * Exposures per arm for a two-sided test at level alpha to detect a change from `baselineRate` p₁ to
 * p₂ = p₁·(1 + minDetectableRelativeUplift) with the given power, for equal arms and the pooled z-test above:
 *   n = (z_{1−α/2}·√(2·p̄·q̄) + z_{power}·√(p₁q₁ + p₂q₂))² / (p₂ − p₁)²,   p̄ = (p₁ + p₂)/2, q = 1 − p,
 * the standard formula without continuity correction (J. L. Fleiss, B. Levin & M. C. Paik, Statistical Methods for
 * Rates and Proportions, 3rd ed., 2003, ch. 4; the equation R's power.prop.test solves). Rounded up to a whole
 * exposure. The uplift may be negative (a drop to detect); p₂ must stay within [0, 1].
 */
export function sampleNeeded(
  baselineRate: number,
  minDetectableRelativeUplift: number,
  { alpha = 0.05, power = 0.8 }: { alpha?: number; power?: number } = {},
): number {
  checkOpen01(baselineRate, 'baselineRate');
  checkOpen01(alpha, 'alpha');
  checkOpen01(power, 'power');
  const u = minDetectableRelativeUplift;
  if (!Number.isFinite(u) || u === 0) throw new RangeError(`the uplift to detect must be finite and ≠ 0, got ${u}`);
  const p1 = baselineRate;
  // A target of exactly 100 % (u = 1/p₁ − 1) may round a hair above 1.
  const raw = p1 * (1 + u);
  const p2 = raw > 1 && raw <= 1 + 1e-12 ? 1 : raw;
  if (!(p2 >= 0 && p2 <= 1)) throw new RangeError(`baseline ${p1} with uplift ${u} gives a rate ${p2} outside [0, 1]`);
  const pBar = (p1 + p2) / 2;
  const zAlpha = normalQuantile(1 - alpha / 2);
  const zBeta = normalQuantile(power);
  const root = zAlpha * Math.sqrt(2 * pBar * (1 - pBar)) + zBeta * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root * root) / ((p2 - p1) * (p2 - p1)));
}

/**
 * The verdict for one variant against control.
 *
 *   p       the pooled two-proportion z-test (twoProportion).
 *   uplift  uplift() at the level of alpha: z = Φ⁻¹(1 − alpha/2).
 *   winning when p < alpha and the uplift interval lies wholly above 0; losing when p < alpha and it lies wholly
 *           below 0. The interval is the Katz relative one; when that is undefined (an arm without conversions)
 *           the Newcombe difference interval decides the direction instead. Anything else is inconclusive
 *           (including the rare case where the test and the interval disagree at the boundary).
 *   needed  0 for winning/losing. For inconclusive: the target effect is the observed relative uplift, but at
 *           least minDetectableEffect in size (default 10 %: smaller effects are not worth waiting for, and an
 *           observed uplift near 0 would need an unbounded sample); it takes the observed sign (up when there is
 *           no observed ratio), and is capped so the target rate stays within [0, 1]. The baseline is the control
 *           rate (the pooled rate when control has no conversions yet; null when neither arm has one, or all
 *           exposures converted). Then
 *             needed = max(0, sampleNeeded(baseline, target, { alpha, power }) − min(n_c, n_v)),
 *           the additional exposures each arm needs so both reach the planned per-arm sample. 0 while inconclusive
 *           means the arms already hold a sample with the given power for that effect: the true effect is likely
 *           smaller than the target.
 */
export function verdict(control: Arm, variant: Arm, opts: VerdictOptions = {}): Verdict {
  const { alpha = 0.05, power = 0.8, minDetectableEffect = 0.1 } = opts;
  checkOpen01(alpha, 'alpha');
  checkOpen01(power, 'power');
  if (!(minDetectableEffect > 0) || !Number.isFinite(minDetectableEffect)) {
    throw new RangeError(`minDetectableEffect must be a finite number > 0, got ${minDetectableEffect}`);
  }
  const { p } = twoProportion(control, variant);
  const up = uplift(control, variant, normalQuantile(1 - alpha / 2));

  const [low, high] = up.low !== null && up.high !== null ? [up.low, up.high] : [up.difference.low, up.difference.high];
  if (p < alpha && low > 0) return { verdict: 'winning', p, uplift: up, needed: 0 };
  if (p < alpha && high < 0) return { verdict: 'losing', p, uplift: up, needed: 0 };

  const needed = stillNeeded(control, variant, up.relative, minDetectableEffect, alpha, power);
  return { verdict: 'inconclusive', p, uplift: up, needed };
}

function stillNeeded(
  control: Arm,
  variant: Arm,
  observed: number | null,
  mde: number,
  alpha: number,
  power: number,
): number | null {
  const pc = rateOf(control);
  const totalExposures = control.exposures + variant.exposures;
  const pooled = totalExposures > 0 ? (control.conversions + variant.conversions) / totalExposures : 0;
  const baseline = pc > 0 && pc < 1 ? pc : pooled > 0 && pooled < 1 ? pooled : null;
  if (baseline === null) return null;
  const size = Math.max(Math.abs(observed ?? 0), mde);
  const target = observed !== null && observed < 0 ? -Math.min(size, 1) : Math.min(size, 1 / baseline - 1);
  const n = sampleNeeded(baseline, target, { alpha, power });
  return Math.max(0, n - Math.min(control.exposures, variant.exposures));
}

// ---------------------------------------------------------------------------------------------------------------
// Sample-ratio mismatch

/**
 * Sample-ratio mismatch: Pearson's chi-square goodness-of-fit test of the assignment counts against the
 * configured weights, the check described for Microsoft's ExP by A. Fabijan et al., "Diagnosing Sample Ratio
 * Mismatch in Online Controlled Experiments: A Taxonomy and Rules of Thumb for Practitioners", KDD 2019 (and in
 * R. Kohavi, D. Tang & Y. Xu, Trustworthy Online Controlled Experiments, 2020). With N = Σ counts and
 * e_i = N·w_i/Σw:  χ² = Σ (o_i − e_i)²/e_i,  df = (arms with weight > 0) − 1,  p = Q(df/2, χ²/2).
 * A mismatch is p < 0.001: a strict level, because the check runs on every report and a mismatch means the
 * results cannot be trusted, not that the variant differs.
 *
 * Weights need not sum to 1. An arm with weight 0 is left out of the test unless it received assignments, which is
 * a certain mismatch (χ² = ∞, p = 0). No assignments at all, or a single weighted arm: nothing to test, p = 1.
 */
export function srm(observedCounts: number[], weights: number[]): Srm {
  if (observedCounts.length !== weights.length) {
    throw new RangeError(`${observedCounts.length} counts for ${weights.length} weights`);
  }
  if (observedCounts.length === 0) throw new RangeError('srm needs at least one arm');
  observedCounts.forEach((o, i) => checkCount(o, `observedCounts[${i}]`));
  weights.forEach((w, i) => checkCount(w, `weights[${i}]`));
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  if (!(totalWeight > 0)) throw new RangeError('weights must not all be 0');

  const total = observedCounts.reduce((s, o) => s + o, 0);
  const df = weights.filter((w) => w > 0).length - 1;
  if (total === 0) return { chiSquare: 0, df, p: 1, mismatch: false };

  let chiSquare = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    const o = observedCounts[i] as number;
    if (w === 0) {
      if (o > 0) chiSquare = Infinity;
      continue;
    }
    // N·w first, then / Σw: exact for integer counts and weights, so counts exactly on the weights give χ² = 0.
    const e = (total * w) / totalWeight;
    chiSquare += ((o - e) * (o - e)) / e;
  }
  const p = chiSquare === Infinity ? 0 : df === 0 ? 1 : chiSquareUpper(chiSquare, df);
  return { chiSquare, df, p, mismatch: p < SRM_ALPHA };
}
