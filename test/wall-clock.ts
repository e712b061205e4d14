// The wall-clock time of an instant in a zone, as the config writes times: "2026-07-01 09:00:30". An independent
// oracle for the time-zone code under test (Intl, not server/time.ts).
const formats = new Map<string, Intl.DateTimeFormat>();

export function wallClock(instant: number, zone: string): string {
  let f = formats.get(zone);
  if (!f) {
    // sv-SE formats as "2026-07-01 09:00:30": already the config's ISO-like shape.
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, f);
  }
  return f.format(instant);
}
