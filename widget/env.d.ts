// Build-time module (vite.config.ts): campaign type or lazy part → the content hash in its file name under
// kairos-ui/ (`exit_offer` → exit-offer-<hash>.js; the engine rebuilds the name, which saves the first script bytes).
declare module 'virtual:kairos-ui' {
  const files: Record<string, string>;
  export default files;
}
