// The TCF v2 answer → the shopper's consent (lazy/cmp.ts): only a decision counts, and each purpose matters.
import { describe, expect, it } from 'vitest';
import { fromTcData, type TcData } from '../../widget/lazy/cmp';

const all = { 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 11: true };
const decided = (consents: Record<number, boolean>, over: Partial<TcData> = {}): TcData => ({ eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents }, ...over });

describe('fromTcData', () => {
  const cases: [string, TcData, ReturnType<typeof fromTcData>][] = [
    ['the CMP UI is still showing: no decision yet', decided(all, { eventStatus: 'cmpuishown' }), undefined],
    ['no event status at all: no decision', { purpose: { consents: all } }, undefined],
    ['every purpose given', decided(all), { analytics: true, marketing: true }],
    ['an earlier decision loaded (tcloaded) counts like a fresh one', decided(all, { eventStatus: 'tcloaded' }), { analytics: true, marketing: true }],
    ['nothing given', decided({}), { analytics: false, marketing: false }],
    ['measurement without device storage (purpose 1): nothing', decided({ 8: true, 5: true, 6: true }), { analytics: false, marketing: false }],
    ['storage and content measurement: analytics only', decided({ 1: true, 8: true }), { analytics: true, marketing: false }],
    ['storage and ad measurement (7) is not content measurement (8)', decided({ 1: true, 7: true }), { analytics: false, marketing: false }],
    ['storage and content personalisation (5, 6): marketing only', decided({ 1: true, 5: true, 6: true }), { analytics: false, marketing: true }],
    ['personalisation needs both a profile (5) and its use (6)', decided({ 1: true, 6: true }), { analytics: false, marketing: false }],
    ['GDPR does not apply: both', { eventStatus: 'tcloaded', gdprApplies: false }, { analytics: true, marketing: true }],
    ['a withdrawal after consent is a decision too', decided({ 1: false, 8: false }), { analytics: false, marketing: false }],
  ];
  it.each(cases)('%s', (_spec, data, expected) => expect(fromTcData(data)).toEqual(expected));
});
