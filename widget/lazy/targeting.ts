// The rule engine as a chunk of its own (dist/widget/kairos-ui/targeting-*.js): loaded only when the config has
// an audience, so shops that do not target pay nothing for it in the first script. It also fetches what the
// server knows (location, weather) when a rule asks for it. Chunks are separate builds, so the debug switch is
// handed over explicitly.
import { buildContext as build } from '../context';
import type { Identity } from '../identity';
import type { Profile } from '../profile';
import { serverContext } from '../server-context';

export { explain } from '../rules';
export { ready } from '../server-context';
export { setDebug } from '../safe';

export const buildContext = (win: Window, identity: Identity, profile: Profile, now: number) =>
  build(win, identity, profile, now, serverContext());
