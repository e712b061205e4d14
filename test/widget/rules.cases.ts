// Targeting rules as a table (GrowthBook cases.json style): [name, rule, context, expected]. Each context is
// the base shopper below with one or two fields changed, so a case reads as a sentence of the spec in
// widget/rules.ts. Every case uses the segments in SEGMENTS.
import type { Rule } from '../../server/schema';
import type { RuleContext } from '../../widget/rules';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A returning desktop shopper from a Google search and a newsletter link, looking at a shirt on a Saturday. */
export const BASE: RuleContext = {
  page: {
    path: '/products/linen-shirt',
    url: 'https://shop.example/products/linen-shirt?color=blue&utm_source=Newsletter',
    query: { color: 'blue', utm_source: 'Newsletter' },
  },
  referrer: { url: 'https://www.google.com/search', host: 'www.google.com' },
  utm: { source: 'Newsletter', medium: 'email', campaign: 'summer-sale' },
  device: { type: 'desktop', touch: false, viewport_width: 1280, viewport_height: 800 },
  visitor: { new: false, returning: true, sessions: 3 },
  session: { page_views: 4 },
  viewed: { categories: ['shirts', 'Sunglasses'], products: ['linen-shirt', 'aviator-42'] },
  cart: { items: 2, value: 49.5, categories: ['shirts'] },
  orders: { count: 1, total: 120, categories: ['shoes'], products: ['derby-9'], days_since_last: 40 },
  traits: { plan: 'Gold', age: 34, vip: true, 'loyalty.tier': 'silver', nickname: null },
  geo: { country: 'DE' },
  locale: 'de-DE',
  language: 'de',
  time: { hour: 14, weekday: 'sat' },
};

/** BASE with `over` deep-merged in: objects merge, lists replace, `undefined` removes a field. */
export function ctx(over: DeepPartial<RuleContext> = {}): RuleContext {
  return merge(structuredClone(BASE) as unknown as Record<string, unknown>, over) as unknown as RuleContext;
}

function merge(target: Record<string, unknown>, over: object): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete target[k];
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null)
      merge(target[k] as Record<string, unknown>, v);
    else target[k] = v;
  }
  return target;
}

export const SEGMENTS: Record<string, Rule> = {
  buyers: { 'orders.count': { gte: 1 } },
  'big-spenders': { 'orders.count': { gte: 3 } },
  'on-mobile': { 'device.type': ['mobile', 'tablet'] },
  'loyal-buyers': { all: [{ segment: 'buyers' }, { 'visitor.sessions': { gte: 3 } }] },
  'loop-a': { segment: 'loop-b' },
  'loop-b': { segment: 'loop-a' },
  itself: { any: [{ segment: 'itself' }, { 'cart.items': { gte: 1 } }] },
  'uses-unknown': { segment: 'nobody' },
};

/** A rule the schema would reject: a cached config from a newer server, or a hand-edited one. */
const raw = (rule: unknown) => rule as Rule;

const noCountry = ctx({ geo: { country: undefined } });

const day = (max_temp_c: number, condition = 'clear', precipitation_mm = 0) => ({ max_temp_c, min_temp_c: max_temp_c - 9, precipitation_mm, condition });
/** A mild day, then a heatwave from the day after tomorrow; then rain, then snow. */
const forecast = ctx({
  weather: { temp_c: 17.5, condition: 'partly_cloudy', days: [day(19, 'partly_cloudy'), day(23), day(28), day(31), day(16, 'rain', 12), day(1, 'snow', 4), day(-2, 'sleet', 0.6)] },
  geo: { country: 'GB', region: 'England', city: 'London' },
});
const noForecast = ctx();
const direct = ctx({ referrer: { url: '', host: '' } });
const firstOrderless = ctx({ orders: { count: 0, total: 0, categories: [], days_since_last: undefined } });
const nothingViewed = ctx({ viewed: { categories: [], products: [] } });

export const cases: [name: string, rule: Rule, context: RuleContext, expected: boolean][] = [
  // page.path
  ['page.path equals the path - pass', { 'page.path': '/products/linen-shirt' }, ctx(), true],
  ['page.path equals ignores case - pass', { 'page.path': '/Products/Linen-Shirt' }, ctx(), true],
  ['page.path equals another path - fail', { 'page.path': '/cart' }, ctx(), false],
  ['page.path matches a ** glob - pass', { 'page.path': { matches: '/products/**' } }, ctx(), true],
  ['page.path matches: * stays within one segment - fail', { 'page.path': { matches: '/*' } }, ctx(), false],
  ['page.path matches /products/** also matches the folder /products', { 'page.path': { matches: '/products/**' } }, ctx({ page: { path: '/products' } }), true],
  ['page.path matches is case-sensitive - fail', { 'page.path': { matches: '/Products/**' } }, ctx(), false],
  ['page.path starts_with - pass', { 'page.path': { starts_with: '/products/' } }, ctx(), true],
  ['page.path ends_with ignores case - pass', { 'page.path': { ends_with: '-SHIRT' } }, ctx(), true],
  ['page.path not_contains a word it contains - fail', { 'page.path': { not_contains: 'linen' } }, ctx(), false],
  ['page.path regex - pass', { 'page.path': { regex: '^/products/[a-z-]+$' } }, ctx(), true],
  ['page.path regex is case-sensitive - fail', { 'page.path': { regex: '^/PRODUCTS/' } }, ctx(), false],
  ['page.path a bad regex never matches - fail', { 'page.path': { regex: '(' } }, ctx(), false],
  ['page.path not of a bad regex is still false', { not: { 'page.path': { regex: '(' } } }, ctx(), false],
  // page.url, page.query.<name>
  ['page.url contains ignores case - pass', { 'page.url': { contains: 'COLOR=BLUE' } }, ctx(), true],
  ['page.url starts_with another host - fail', { 'page.url': { starts_with: 'https://other.example/' } }, ctx(), false],
  ['page.query.<name> equals its value - pass', { 'page.query.color': 'Blue' }, ctx(), true],
  ['page.query.<name> not in the URL: eq - fail', { 'page.query.coupon': 'SUMMER' }, ctx(), false],
  ['page.query.<name> not in the URL: exists false - pass', { 'page.query.coupon': { exists: false } }, ctx(), true],
  ['page.query.<name> present but empty: exists false - pass', { 'page.query.coupon': { exists: false } }, ctx({ page: { query: { coupon: '' } } }), true],
  ['page.query.<name> values are text: gt a number - fail (no coercion)', { 'page.query.page': { gt: 2 } }, ctx({ page: { query: { page: '3' } } }), false],
  // referrer
  ['referrer.host in a list - pass', { 'referrer.host': ['www.google.com', 'www.bing.com'] }, ctx(), true],
  ['referrer.host matches a glob across dots - pass', { 'referrer.host': { matches: '*.google.*' } }, ctx(), true],
  ['referrer.url empty on a direct visit: exists false - pass', { 'referrer.url': { exists: false } }, direct, true],
  ['referrer.url on a search visit: exists false - fail', { 'referrer.url': { exists: false } }, ctx(), false],
  ['referrer.host empty on a direct visit is a value: ne google - pass', { 'referrer.host': { ne: 'www.google.com' } }, direct, true],
  // utm
  ['utm.source equals ignores case - pass', { 'utm.source': 'newsletter' }, ctx(), true],
  ['utm.medium in - pass', { 'utm.medium': { in: ['email', 'sms'] } }, ctx(), true],
  ['utm.campaign starts_with - pass', { 'utm.campaign': { starts_with: 'summer' } }, ctx(), true],
  ['utm.term missing: eq - fail', { 'utm.term': 'shirts' }, ctx(), false],
  ['utm.term missing: ne - fail too (fail closed)', { 'utm.term': { ne: 'shirts' } }, ctx(), false],
  ['utm.term missing: not_contains - fail too (fail closed)', { 'utm.term': { not_contains: 'x' } }, ctx(), false],
  ['utm.content missing: exists false - pass', { 'utm.content': { exists: false } }, ctx(), true],
  ['utm.content missing: exists true - fail', { 'utm.content': { exists: true } }, ctx(), false],
  // device
  ['device.type one of mobile, tablet on a desktop - fail', { 'device.type': ['mobile', 'tablet'] }, ctx(), false],
  ['device.type one of mobile, tablet on a tablet - pass', { 'device.type': ['mobile', 'tablet'] }, ctx({ device: { type: 'tablet' } }), true],
  ['device.type not_in mobile - pass', { 'device.type': { not_in: ['mobile'] } }, ctx(), true],
  ['device.touch false equals false - pass', { 'device.touch': false }, ctx(), true],
  ['device.touch against the text "false" - fail (type mismatch)', { 'device.touch': 'false' }, ctx(), false],
  ['device.touch ne true - pass', { 'device.touch': { ne: true } }, ctx(), true],
  ['device.viewport_width gte 1024 - pass', { 'device.viewport_width': { gte: 1024 } }, ctx(), true],
  ['device.viewport_height lt 700 - fail', { 'device.viewport_height': { lt: 700 } }, ctx(), false],
  ['device.viewport_width between gte and lte - pass', { 'device.viewport_width': { gte: 1024, lte: 1440 } }, ctx(), true],
  // visitor, session
  ['visitor.new true for a returning visitor - fail', { 'visitor.new': true }, ctx(), false],
  ['visitor.returning true - pass', { 'visitor.returning': true }, ctx(), true],
  ['visitor.sessions gt 2 - pass', { 'visitor.sessions': { gt: 2 } }, ctx(), true],
  ['visitor.sessions eq true - fail (a number is not a boolean)', { 'visitor.sessions': true }, ctx({ visitor: { sessions: 1 } }), false],
  ['visitor.new eq 1 - fail (a boolean is not a number)', { 'visitor.new': 1 }, ctx({ visitor: { new: true } }), false],
  ['visitor.sessions in [1, true] compares with the number - pass', { 'visitor.sessions': [1, true] }, ctx({ visitor: { sessions: 1 } }), true],
  ['session.page_views gte 3 - pass', { 'session.page_views': { gte: 3 } }, ctx(), true],
  ['session.page_views lt 3 - fail', { 'session.page_views': { lt: 3 } }, ctx(), false],
  // viewed (lists)
  ['viewed.categories a value means "includes it" - pass', { 'viewed.categories': 'shirts' }, ctx(), true],
  ['viewed.categories includes ignores case - pass', { 'viewed.categories': 'sunglasses' }, ctx(), true],
  ['viewed.categories a value it does not include - fail', { 'viewed.categories': 'hats' }, ctx(), false],
  ['viewed.categories a list means "includes any" - pass', { 'viewed.categories': ['hats', 'shirts'] }, ctx(), true],
  ['viewed.categories eq means "includes it" too - pass', { 'viewed.categories': { eq: 'SHIRTS' } }, ctx(), true],
  ['viewed.categories in, none included - fail', { 'viewed.categories': { in: ['hats', 'scarves'] } }, ctx(), false],
  ['viewed.categories not_in, none included - pass', { 'viewed.categories': { not_in: ['hats', 'scarves'] } }, ctx(), true],
  ['viewed.categories not_in, one included - fail', { 'viewed.categories': { not_in: ['hats', 'SHIRTS'] } }, ctx(), false],
  ['viewed.categories contains means a whole item, not a substring - fail', { 'viewed.categories': { contains: 'shirt' } }, ctx(), false],
  ['viewed.categories ne means "includes none" - fail', { 'viewed.categories': { ne: 'shirts' } }, ctx(), false],
  ['viewed.products starts_with holds when some item does - pass', { 'viewed.products': { starts_with: 'aviator' } }, ctx(), true],
  ['viewed.products regex holds when some item matches - pass', { 'viewed.products': { regex: '-\\d+$' } }, ctx(), true],
  ['viewed.products a number never equals a text item - fail', { 'viewed.products': 42 }, ctx(), false],
  ['viewed.categories gt on a list - fail', { 'viewed.categories': { gt: 1 } }, ctx(), false],
  ['viewed.categories empty: exists false - pass', { 'viewed.categories': { exists: false } }, nothingViewed, true],
  ['viewed.categories empty: not_in - pass', { 'viewed.categories': { not_in: ['shirts'] } }, nothingViewed, true],
  ['viewed.categories empty: eq - fail', { 'viewed.categories': 'shirts' }, nothingViewed, false],
  // cart
  ['cart.value gte 50 at 49.5 - fail', { 'cart.value': { gte: 50 } }, ctx(), false],
  ['cart.value gte 50 at 60 - pass', { 'cart.value': { gte: 50 } }, ctx({ cart: { value: 60 } }), true],
  ['cart.value gte its own value - pass (boundary)', { 'cart.value': { gte: 49.5 } }, ctx(), true],
  ['cart.value gt its own value - fail (boundary)', { 'cart.value': { gt: 49.5 } }, ctx(), false],
  ['cart.value lte its own value - pass (boundary)', { 'cart.value': { lte: 49.5 } }, ctx(), true],
  ['cart.value equals the text "49.5" - fail (no coercion)', { 'cart.value': '49.5' }, ctx(), false],
  ['cart.value ne the text "50" - fail (type mismatch)', { 'cart.value': { ne: '50' } }, ctx(), false],
  ['cart.value eq true - fail (a number is not a boolean)', { 'cart.value': { eq: true } }, ctx(), false],
  ['cart.items eq 2 - pass', { 'cart.items': 2 }, ctx(), true],
  ['cart.items lte 0 - fail', { 'cart.items': { lte: 0 } }, ctx(), false],
  ['cart.categories contains means includes - pass', { 'cart.categories': { contains: 'Shirts' } }, ctx(), true],
  ['cart.categories not_contains gift-cards - pass', { 'cart.categories': { not_contains: 'gift-cards' } }, ctx(), true],
  // orders
  ['orders.count gte 3 - fail', { 'orders.count': { gte: 3 } }, ctx(), false],
  ['orders.total gt 100 - pass', { 'orders.total': { gt: 100 } }, ctx(), true],
  ['orders.categories has bought shoes - pass', { 'orders.categories': 'shoes' }, ctx(), true],
  ['orders.categories has never bought summer wear - pass', { 'orders.categories': { not_in: ['swimwear', 'sunglasses'] } }, ctx(), true],
  ['orders.products bought this product - pass', { 'orders.products': 'derby-9' }, ctx(), true],
  ['orders.products never bought it - fail', { 'orders.products': 'linen-shirt' }, ctx(), false],
  ['orders.days_since_last gte 30 - pass', { 'orders.days_since_last': { gte: 30 } }, ctx(), true],
  ['orders.days_since_last without an order: lte 30 - fail', { 'orders.days_since_last': { lte: 30 } }, firstOrderless, false],
  ['orders.days_since_last without an order: not lte 30 - fail too', { not: { 'orders.days_since_last': { lte: 30 } } }, firstOrderless, false],
  ['orders.days_since_last without an order: exists false - pass', { 'orders.days_since_last': { exists: false } }, firstOrderless, true],
  // traits.<name>
  ['traits.plan equals ignores case - pass', { 'traits.plan': 'gold' }, ctx(), true],
  ['traits.age gte 18 - pass', { 'traits.age': { gte: 18 } }, ctx(), true],
  ['traits.age stored as text "34": gte 18 - fail (no coercion)', { 'traits.age': { gte: 18 } }, ctx({ traits: { age: '34' } }), false],
  ['traits.vip true - pass', { 'traits.vip': true }, ctx(), true],
  ['traits.<name> with dots is one key - pass', { 'traits.loyalty.tier': 'silver' }, ctx(), true],
  ['traits null is no value: exists false - pass', { 'traits.nickname': { exists: false } }, ctx(), true],
  ['traits null is no value: ne - fail', { 'traits.nickname': { ne: 'Bob' } }, ctx(), false],
  ['traits.<name> never given: eq - fail', { 'traits.company': 'ACME' }, ctx(), false],
  ['traits.constructor is no trait (no prototype lookups) - fail', { 'traits.constructor': { exists: true } }, ctx(), false],
  // geo, locale, language
  ['geo.country equals ignores case - pass', { 'geo.country': 'de' }, ctx(), true],
  ['geo.country eq written as an operator - pass', { 'geo.country': { eq: 'DE' } }, ctx(), true],
  ['geo.country in AT, CH - fail', { 'geo.country': ['AT', 'CH'] }, ctx(), false],
  ['geo.country unknown: not_in DE - fail (fail closed)', { 'geo.country': { not_in: ['DE'] } }, noCountry, false],
  ['geo.country unknown: not equals DE - fail (not keeps unknown unknown)', { not: { 'geo.country': 'DE' } }, noCountry, false],
  ['geo.country unknown: exists false - pass', { 'geo.country': { exists: false } }, noCountry, true],
  ['locale starts_with de - pass', { locale: { starts_with: 'de' } }, ctx(), true],
  ['language in en, fr - fail', { language: ['en', 'fr'] }, ctx(), false],
  // time
  ['time.hour between 9 and 17 - pass', { 'time.hour': { gte: 9, lt: 17 } }, ctx(), true],
  ['time.hour gte 18 - fail', { 'time.hour': { gte: 18 } }, ctx(), false],
  ['time.weekday one of sat, sun - pass', { 'time.weekday': ['sat', 'sun'] }, ctx(), true],
  ['time.weekday ignores case - pass', { 'time.weekday': 'SAT' }, ctx(), true],
  ['time.weekday on a monday - fail', { 'time.weekday': ['sat', 'sun'] }, ctx({ time: { weekday: 'mon' } }), false],
  // combinators
  ['keys of one rule AND together, all hold - pass', { 'device.type': 'desktop', 'cart.items': { gte: 1 } }, ctx(), true],
  ['keys of one rule AND together, one fails - fail', { 'device.type': 'desktop', 'cart.items': { gte: 5 } }, ctx(), false],
  ['several operators on one field must all hold - fail', { 'cart.value': { gt: 10, lt: 40 } }, ctx(), false],
  ['all, every rule holds - pass', { all: [{ 'geo.country': 'DE' }, { 'cart.items': { gte: 1 } }] }, ctx(), true],
  ['all, one rule fails - fail', { all: [{ 'geo.country': 'DE' }, { 'cart.items': { gte: 5 } }] }, ctx(), false],
  ['any, one rule holds - pass', { any: [{ 'geo.country': 'FR' }, { 'cart.items': { gte: 1 } }] }, ctx(), true],
  ['any, no rule holds - fail', { any: [{ 'geo.country': 'FR' }, { 'cart.items': { gte: 5 } }] }, ctx(), false],
  ['not flips a false rule - pass', { not: { 'device.type': 'mobile' } }, ctx(), true],
  ['not flips a true rule - fail', { not: { 'device.type': 'desktop' } }, ctx(), false],
  ['not of not - pass', { not: { not: { 'device.type': 'desktop' } } }, ctx(), true],
  ['all and any nest - pass', { all: [{ any: [{ 'utm.source': 'facebook' }, { 'referrer.host': { ends_with: 'google.com' } }] }, { not: { segment: 'on-mobile' } }] }, ctx(), true],
  ['all with an unknown part and a false part is false, so its not holds - pass', { not: { all: [{ 'geo.country': 'DE' }, { 'cart.value': { gte: 100 } }] } }, noCountry, true],
  ['all with an unknown part and a true part is not true - fail', { all: [{ 'geo.country': 'DE' }, { 'cart.value': { gte: 1 } }] }, noCountry, false],
  ['any with an unknown part and a true part holds - pass', { any: [{ 'geo.country': 'DE' }, { 'cart.items': { gte: 1 } }] }, noCountry, true],
  ['any with an unknown part and a false part is unknown, and so is its not - fail', { not: { any: [{ 'geo.country': 'DE' }, { 'cart.items': { gte: 5 } }] } }, noCountry, false],
  // segments
  ['segment that holds - pass', { segment: 'buyers' }, ctx(), true],
  ['segment that does not hold - fail', { segment: 'big-spenders' }, ctx(), false],
  ['segment inside a segment - pass', { segment: 'loyal-buyers' }, ctx(), true],
  ['segment inside a segment that fails - fail', { segment: 'loyal-buyers' }, firstOrderless, false],
  ['segment together with a field in one rule - pass', { segment: 'buyers', 'device.type': 'desktop' }, ctx(), true],
  ['segment used twice is not a loop - pass', { all: [{ segment: 'buyers' }, { any: [{ segment: 'buyers' }] }] }, ctx(), true],
  ['segment not on mobile - pass', { not: { segment: 'on-mobile' } }, ctx(), true],
  ['segment unknown - fail', { segment: 'nobody' }, ctx(), false],
  ['segment unknown: its not - fail too', { not: { segment: 'nobody' } }, ctx(), false],
  ['segment referring to an unknown one - fail', { segment: 'uses-unknown' }, ctx(), false],
  ['segment named like a prototype key (toString) is unknown - fail', { segment: 'toString' }, ctx(), false],
  ['segments in a loop - fail', { segment: 'loop-a' }, ctx(), false],
  ['segments in a loop: their not - fail too', { not: { segment: 'loop-a' } }, ctx(), false],
  ['segment referring to itself inside any: the other branch still decides - pass', { segment: 'itself' }, ctx(), true],
  ['segment referring to itself inside any, other branch false - fail', { segment: 'itself' }, ctx({ cart: { items: 0 } }), false],
  // location and weather (from GET /v1/context)
  ['geo.city from the server - pass', { 'geo.city': 'london' }, forecast, true],
  ['geo.region unknown without the server - fail', { 'geo.region': { exists: true } }, noForecast, false],
  ['weather.temp_c now - pass', { 'weather.temp_c': { gte: 15, lt: 20 } }, forecast, true],
  ['weather.condition now - fail', { 'weather.condition': ['clear', 'cloudy'] }, forecast, false],
  ['weather: max_temp_c >= 25 within 3 days (day 3 is 28) - pass', { weather: { within_days: 3, max_temp_c: { gte: 25 } } }, forecast, true],
  ['weather: max_temp_c >= 25 within 2 days (23 at most) - fail', { weather: { within_days: 2, max_temp_c: { gte: 25 } } }, forecast, false],
  ['weather: within_days defaults to today only - fail', { weather: { max_temp_c: { gte: 20 } } }, forecast, false],
  ['weather: every condition on the same day (28 and rain never meet) - fail', { weather: { within_days: 7, max_temp_c: { gte: 25 }, precipitation: true } }, forecast, false],
  ['weather: every condition on the same day (31 and clear) - pass', { weather: { within_days: 4, max_temp_c: { gte: 30 }, condition: 'clear' } }, forecast, true],
  ['weather: precipitation within 5 days (12 mm on day 5) - pass', { weather: { within_days: 5, precipitation: true } }, forecast, true],
  ['weather: precipitation needs at least 1 mm (0.6 mm of sleet is not) - pass via snow only', { weather: { within_days: 7, snow: true, precipitation: false } }, forecast, true],
  ['weather: snow within 5 days - fail', { weather: { within_days: 5, snow: true } }, forecast, false],
  ['weather: condition in [snow, sleet] within 7 days - pass', { weather: { within_days: 7, condition: { in: ['snow', 'sleet'] } } }, forecast, true],
  ['weather: precipitation_mm > 10 - pass', { weather: { within_days: 7, precipitation_mm: { gt: 10 } } }, forecast, true],
  ['weather: no forecast is unknown - fail (fail closed)', { weather: { within_days: 7, max_temp_c: { gte: -50 } } }, noForecast, false],
  ['weather: not of no forecast stays unknown - fail', { not: { weather: { within_days: 3, max_temp_c: { gte: 25 } } } }, noForecast, false],
  ['weather: not a heatwave, with a forecast - fail', { not: { weather: { within_days: 3, max_temp_c: { gte: 25 } } } }, forecast, false],
  ['weather: forecast shorter than within_days uses what there is - pass', { weather: { within_days: 7, max_temp_c: { lt: 0 } } }, forecast, true],
  ['weather with segments: summer heat for buyers - pass', { segment: 'buyers', weather: { within_days: 3, max_temp_c: { gte: 25 } } }, forecast, true],
  ['weather: within_days out of range - fail', raw({ weather: { within_days: 9, max_temp_c: { gte: 0 } } }), forecast, false],
  ['weather: unknown day field - fail', raw({ weather: { within_days: 3, humidity: { gte: 50 } } }), forecast, false],
  ['weather: no condition - fail', raw({ weather: { within_days: 3 } }), forecast, false],
  ['weather: not an object - fail', raw({ weather: 'hot' }), forecast, false],
  // broken rules (what the schema rejects, seen in a stale cached config)
  ['unknown operator - fail', raw({ 'cart.value': { between: [1, 100] } }), ctx(), false],
  ['unknown operator: its not - fail too', raw({ not: { 'cart.value': { between: [1, 100] } } }), ctx(), false],
  ['unknown operator next to one that holds - fail', raw({ 'cart.value': { gte: 1, between: [1, 100] } }), ctx(), false],
  ['unknown field - fail', raw({ 'cart.valu': { gte: 1 } }), ctx(), false],
  ['a field that is an object, not a value (page) - fail', raw({ page: { exists: true } }), ctx(), false],
  ['an empty rule - fail', raw({}), ctx(), false],
  ['an empty all - fail', raw({ all: [] }), ctx(), false],
  ['an empty operator object - fail', raw({ 'cart.value': {} }), ctx(), false],
  ['in given a single value instead of a list - fail', raw({ 'cart.items': { in: 2 } }), ctx(), false],
  ['a condition of null - fail', raw({ 'geo.country': null }), ctx(), false],
  ['not a rule at all (a list) - fail', raw([{ 'cart.items': 2 }]), ctx(), false],
];
