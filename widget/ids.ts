// Random opaque ids (visitor, session, event): 12 random bytes as 16 url-safe base64 characters = 96 bits.
export function randomId(): string {
  const bytes = new Uint8Array(12);
  try {
    crypto.getRandomValues(bytes);
  } catch {
    // Very old or sandboxed environments: ids stay unique enough for deduplication.
    for (let i = 0; i < 12; i++) bytes[i] = Math.random() * 256;
  }
  return btoa(String.fromCharCode(...bytes)).replace(/[+/]/g, (c) => (c == '+' ? '-' : '_'));
}
