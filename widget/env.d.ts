// Build-time module (vite.config.ts): campaign type → content-hashed UI module file under kairos-ui/.
declare module 'virtual:kairos-ui' {
  const files: Record<string, string>;
  export default files;
}
