// The one place that reads the page for targeting: builds the RuleContext that rules.ts evaluates, from the
// location, the device, the session (identity) and what the shopper did (profile).
import type { ContextAnswer } from '../server/context';
import type { Identity } from './identity';
import { cartItems, cartValue, type Profile } from './profile';
import type { RuleContext } from './rules';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function utmOf(url: URL): Record<string, string> {
  const utm: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (k.startsWith('utm_') && v) utm[k.slice(4)] = v;
  return utm;
}

/** The primary pointer is coarse: a phone or tablet, whatever its width. */
export const isTouch = (win: Window): boolean => !!win.matchMedia?.('(pointer: coarse)').matches;

export function deviceOf(win: Window): RuleContext['device'] {
  const width = win.innerWidth;
  const touch = isTouch(win);
  const short = Math.min(width, win.innerHeight);
  const type = touch ? (short >= 600 ? 'tablet' : 'mobile') : width < 600 ? 'mobile' : 'desktop';
  return { type, touch, viewport_width: width, viewport_height: win.innerHeight };
}

/** `server`: GET /v1/context's answer when there is one (server-context.ts), for geo and weather fields. */
export function buildContext(win: Window, identity: Identity, profile: Profile, now: number, server?: ContextAnswer): RuleContext {
  const url = new URL(win.location.href);
  url.hash = '';
  let referrer: RuleContext['referrer'] = { url: '', host: '' };
  try {
    if (win.document.referrer) {
      const r = new URL(win.document.referrer);
      referrer = { url: r.origin + r.pathname, host: r.host };
    }
  } catch {
    // an unparsable referrer is no referrer
  }
  const date = new Date(now);
  const locale = win.navigator.language || '';
  const orders: RuleContext['orders'] = {
    count: profile.orders.count,
    total: profile.orders.total,
    categories: profile.orders.categories,
    products: profile.orders.products ?? [],
  };
  if (profile.orders.last !== undefined) orders.days_since_last = Math.floor((now - profile.orders.last) / 86_400_000);
  const loc = server?.location;
  const geo: RuleContext['geo'] = {};
  if (loc) for (const k of ['country', 'region', 'city'] as const) if (loc[k]) geo[k] = loc[k];
  const w = server?.weather;
  return {
    ...(w && {
      weather: {
        ...(w.current && { temp_c: w.current.temp_c, condition: w.current.condition }),
        days: w.daily,
      },
    }),
    page: { path: url.pathname, url: url.href, query: Object.fromEntries(url.searchParams) },
    referrer,
    utm: identity.utm,
    device: deviceOf(win),
    visitor: { new: identity.sessions <= 1, returning: identity.sessions > 1, sessions: identity.sessions },
    session: { page_views: identity.pageViews },
    viewed: profile.viewed,
    cart: {
      items: cartItems(profile),
      value: cartValue(profile),
      categories: [...new Set(Object.values(profile.cart).flatMap((l) => (l.category ? [l.category] : [])))],
    },
    orders,
    traits: profile.traits,
    geo,
    locale,
    language: locale.split('-')[0] ?? '',
    time: { hour: date.getHours(), weekday: WEEKDAYS[date.getDay()]! },
  };
}
