// The rule engine as a chunk of its own (dist/widget/kairos-ui/targeting-*.js): loaded only when the config has
// an audience, so shops that do not target pay nothing for it in the first script. Chunks are separate builds,
// so the debug switch is handed over explicitly.
export { explain } from '../rules';
export { buildContext } from '../context';
export { setDebug } from '../safe';
