// What counts as an email address, in one place: the server's carts (server/carts.ts `emailOf`), the lead route
// (server/leads.ts) and the newsletter bar (widget/campaigns/newsletter-bar.tsx) all use this rule. Deliberately
// simple — something, an @, something, no blanks, at most 254 characters (RFC 5321's path limit) — so that no real
// address is refused; whether the mailbox exists is the email tool's business (double opt-in).
export const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The address trimmed, or null when it is not one. */
export function validEmail(v: string): string | null {
  const email = v.trim();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}
