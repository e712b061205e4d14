// The exit-intent trigger as a chunk of its own (dist/widget/kairos-ui/exit-intent-*.js): the largest trigger,
// loaded only on pages where a campaign with an exit_intent trigger is armed (see triggers/index.ts).
export { exitIntent } from '../triggers/exit-intent';
export { setDebug } from '../safe';
