// Test only: moves a child process's clock. Preloaded with NODE_OPTIONS="--import <this file's URL>":
//
//   KAIROS_FAKE_NOW=<ISO instant | epoch ms>   the clock reads this when the process starts
//   KAIROS_FAKE_NOW_FILE=<path>                 …or what this file says, and again whenever the file changes
//                                               (polled every 25 ms), so a test can move a running server's clock
//
// From each setting on, Date.now() and `new Date()` read the fake instant plus the real time elapsed since: the
// clock is moved, never stopped. Timers, performance.now() and everything else keep real time. With neither
// variable it does nothing.
import { readFileSync, watchFile } from 'node:fs';

const initial = process.env.KAIROS_FAKE_NOW;
const file = process.env.KAIROS_FAKE_NOW_FILE;

if (initial || file) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  const set = (spec) => {
    const at = /^\d+$/.test(spec) ? Number(spec) : RealDate.parse(spec);
    if (!Number.isFinite(at)) throw new Error(`fake clock: "${spec}" is not an ISO instant or epoch ms`);
    offset = at - realNow();
  };
  const now = () => realNow() + offset;

  class FakeDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
    // Dates made by Node itself (fs.Stats#mtime …) are real Dates, and still `instanceof Date`.
    static [Symbol.hasInstance](x) {
      return x instanceof RealDate;
    }
  }
  // `Date()` called without `new` gives the current time as a string, as the real one does.
  globalThis.Date = new Proxy(FakeDate, { apply: () => new RealDate(now()).toString() });

  if (initial) set(initial);
  if (file) {
    const read = () => {
      let spec = '';
      try {
        spec = readFileSync(file, 'utf8').trim();
      } catch {
        return; // not there (yet): keep the clock as it is
      }
      if (spec) set(spec);
    };
    read();
    watchFile(file, { interval: 25, persistent: false }, read);
  }
}
