// Where the shopper roughly is, from what a CDN in front of the server says (only when the config trusts that
// CDN: anyone can send these headers to a server that is not behind it). Every value is checked: Cloudflare's
// `XX` (unknown) and `T1` (Tor) are no country, and a malformed value is dropped rather than passed on.
// Coordinates are rounded to 0.1° (about 10 km) here, before anything else sees them.
import type { Context } from '../schema';
import { round1 } from './weather/types';

export type LocationSource = 'cloudflare' | 'vercel' | 'custom' | 'geoip' | 'shop';

export interface Location {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  region?: string;
  city?: string;
  /** Rounded to 0.1°; both or neither. */
  lat?: number;
  lon?: number;
  source: LocationSource;
}

type Field = 'country' | 'region' | 'city' | 'lat' | 'lon';

/** The headers each CDN sets, per field. Vercel's city is URL-encoded. */
export const CDN_HEADERS: Record<'cloudflare' | 'vercel', Record<Field, string>> = {
  cloudflare: { country: 'cf-ipcountry', region: 'cf-region', city: 'cf-ipcity', lat: 'cf-iplatitude', lon: 'cf-iplongitude' },
  vercel: {
    country: 'x-vercel-ip-country',
    region: 'x-vercel-ip-country-region',
    city: 'x-vercel-ip-city',
    lat: 'x-vercel-ip-latitude',
    lon: 'x-vercel-ip-longitude',
  },
};

/** Country codes that are no country: unknown (Cloudflare `XX`, also used elsewhere) and Tor (`T1`). */
const NOT_A_COUNTRY = new Set(['XX', 'T1']);

/** The header names the config trusts for each field (lower case); empty when it trusts none. */
export function geoHeaderNames(ctx: Context): Partial<Record<Field, string>> {
  switch (ctx.geo_headers) {
    case 'cloudflare':
    case 'vercel':
      return CDN_HEADERS[ctx.geo_headers];
    case 'custom': {
      const out: Partial<Record<Field, string>> = {};
      for (const [field, name] of Object.entries(ctx.custom_headers ?? {})) if (name) out[field as Field] = name.toLowerCase();
      return out;
    }
    default:
      return {};
  }
}

/** The location the trusted geo headers give, or null (none trusted, no valid country). */
export function locationFromHeaders(ctx: Context, header: (name: string) => string | undefined): Location | null {
  if (ctx.geo_headers === 'none') return null;
  const names = geoHeaderNames(ctx);
  const get = (f: Field) => (names[f] ? header(names[f]!) : undefined);
  const country = countryCode(get('country'));
  if (!country) return null;
  // Vercel always URL-encodes the city; a custom header may (a header cannot carry raw UTF-8).
  const decode = ctx.geo_headers === 'vercel' ? 'always' : ctx.geo_headers === 'custom' ? 'if-encoded' : 'never';
  const region = placeName(get('region'), decode);
  const city = placeName(get('city'), decode);
  const coords = coordinates(get('lat'), get('lon'));
  return { country, ...(region && { region }), ...(city && { city }), ...coords, source: ctx.geo_headers };
}

/** An ISO country code, upper-cased; undefined for anything else, and for XX/T1. */
export function countryCode(v: string | undefined): string | undefined {
  const c = v?.trim().toUpperCase();
  if (!c || !/^[A-Z]{2}$/.test(c) || NOT_A_COUNTRY.has(c)) return undefined;
  return c;
}

/** A region or city name: decoded if need be, at most 100 characters, no control characters. */
export function placeName(v: string | undefined, decode: 'always' | 'if-encoded' | 'never' = 'never'): string | undefined {
  if (v === undefined) return undefined;
  let s = v.trim();
  if (decode === 'always' || (decode === 'if-encoded' && /%[0-9A-Fa-f]{2}/.test(s))) {
    try {
      s = decodeURIComponent(s).trim();
    } catch {
      return undefined;
    }
  }
  if (!s || s.length > 100 || /[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

/** Both coordinates, rounded to 0.1°, when both are plain decimal numbers in range; else none. */
export function coordinates(lat: string | number | undefined, lon: string | number | undefined): { lat: number; lon: number } | Record<string, never> {
  const la = decimal(lat);
  const lo = decimal(lon);
  if (la === undefined || lo === undefined || Math.abs(la) > 90 || Math.abs(lo) > 180) return {};
  return { lat: round1(la), lon: round1(lo) };
}

function decimal(v: string | number | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const s = v?.trim();
  if (!s || !/^[+-]?\d{1,3}(\.\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** The shop's own location from the config, rounded like every other. */
export function shopLocation(ctx: Context): Location | null {
  const l = ctx.location;
  if (!l) return null;
  return {
    country: l.country,
    ...(l.region && { region: l.region }),
    ...(l.city && { city: l.city }),
    ...coordinates(l.lat, l.lon),
    source: 'shop',
  };
}
