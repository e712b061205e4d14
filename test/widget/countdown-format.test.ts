// The countdown bar's "time left", in the shopper's language (Intl unit names), two units at most, the smaller one
// in two digits so the text keeps its width, and never zero while time is left. Expected texts written by hand
// from CLDR's short unit names.
import { describe, expect, it } from 'vitest';
import { timeLeft } from '../../widget/campaigns/countdown-bar';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('timeLeft', () => {
  it.each<[string, number, string, string]>([
    ['hours and minutes', 2 * H + 13 * M, 'en', '2 hr 13 min'],
    ['minutes in two digits', 2 * H + 3 * M, 'en', '2 hr 03 min'],
    ['minutes and seconds', 13 * M + 5 * S, 'en', '13 min 05 sec'],
    ['days and hours', 3 * D + 4 * H, 'en', '3 days 4 hr'],
    ['seconds round up', 44 * S + 1, 'en', '45 sec'],
    ['never zero while time is left', 1, 'en', '1 sec'],
    ['German', 2 * H + 13 * M, 'de', '2 Std. 13 Min.'],
    ['German seconds', 13 * M + 5 * S, 'de', '13 Min. 05 Sek.'],
    ['French', 3 * D + 4 * H, 'fr', '3 j 4 h'],
    ['Kazakh', 2 * H + 13 * M, 'kk', '2 сағ 13 мин'],
  ])('%s: %s ms in %s → %s', (_name, ms, locale, expected) => {
    // Intl may put narrow no-break spaces between number and unit: compare with plain spaces.
    expect(timeLeft(ms, locale).replace(/[\u00a0\u202f]/g, ' ')).toBe(expected);
  });
});
