// The shopper's rough location from a GeoIP database (`context.geoip_file`: DB-IP Lite or GeoLite2 City, the
// MaxMind DB format), read with the `maxmind` package. The file is checked for changes (size, mtime, inode) at
// most every `checkIntervalMs` and reopened when it changed or the config names another file, so a monthly
// database update needs no restart. A missing or broken file is logged once (until it changes) and skipped.
//
// The address is looked up and forgotten: it is never logged, stored or returned.
import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import maxmind, { type CityResponse, type Reader } from 'maxmind';
import { coordinates, countryCode, placeName, type Location } from './location';

export interface GeoIpLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface GeoIpOptions {
  log: GeoIpLog;
  /** How often the file is checked for a change. Default 10 s; 0 checks on every lookup. */
  checkIntervalMs?: number;
}

export interface GeoIp {
  /** The location of `ip` in `file` (absolute), or null: not in the database, no usable country, no database. */
  lookup(file: string, ip: string): Promise<Location | null>;
}

export function createGeoIp(opts: GeoIpOptions): GeoIp {
  const interval = opts.checkIntervalMs ?? 10_000;
  let file: string | undefined;
  let stamp: string | undefined;
  let reader: Reader<CityResponse> | null = null;
  let checkedAt = -Infinity;
  let checking: Promise<void> | undefined;

  async function check(wanted: string): Promise<void> {
    let next: string;
    let problem: string | undefined;
    try {
      const s = await stat(wanted);
      next = `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch (e) {
      problem = (e as NodeJS.ErrnoException).code ?? String(e);
      next = `unreadable:${problem}`;
    }
    checkedAt = performance.now();
    if (wanted === file && next === stamp) return;
    file = wanted;
    stamp = next;
    reader = null;
    if (problem) {
      opts.log.warn({ file: wanted, err: problem }, 'GeoIP database cannot be read; skipped until it changes');
      return;
    }
    try {
      const opened = await maxmind.open<CityResponse>(wanted);
      if (file !== wanted || stamp !== next) return; // overtaken by a newer check
      reader = opened;
      opts.log.info({ file: wanted, type: opened.metadata.databaseType, built: opened.metadata.buildEpoch.toISOString() }, 'GeoIP database opened');
    } catch (e) {
      opts.log.warn({ file: wanted, err: e instanceof Error ? e.message : String(e) }, 'GeoIP database is not a MaxMind DB file; skipped until it changes');
    }
  }

  async function current(wanted: string): Promise<Reader<CityResponse> | null> {
    for (let round = 0; round < 2; round++) {
      if (wanted === file && performance.now() - checkedAt < interval) break;
      checking ??= check(wanted).finally(() => (checking = undefined));
      await checking;
      if (wanted === file) break;
    }
    return wanted === file ? reader : null;
  }

  return {
    async lookup(wanted, rawIp) {
      const db = await current(wanted);
      const ip = normaliseIp(rawIp);
      if (!db || !ip) return null;
      if (db.metadata.ipVersion === 4 && isIP(ip) !== 4) return null;
      let rec: CityResponse | null;
      try {
        rec = db.get(ip);
      } catch {
        return null;
      }
      return rec ? fromRecord(rec) : null;
    },
  };
}

/** A socket address as the database wants it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4, no zone; or null. */
export function normaliseIp(raw: string | undefined): string | null {
  if (!raw) return null;
  let ip = raw.trim().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  return isIP(ip) ? ip : null;
}

/** A GeoLite2/DB-IP City record as a location: needs a country; region, city and coordinates when present. */
export function fromRecord(rec: CityResponse): Location | null {
  const country = countryCode(rec.country?.iso_code);
  if (!country) return null;
  const region = placeName(rec.subdivisions?.[0]?.names?.en);
  const city = placeName(rec.city?.names?.en);
  return {
    country,
    ...(region && { region }),
    ...(city && { city }),
    ...coordinates(rec.location?.latitude, rec.location?.longitude),
    source: 'geoip',
  };
}
