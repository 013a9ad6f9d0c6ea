// Mirrors the server's rule: bcrypt only reads 72 bytes, so longer passwords are refused.
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_BYTES = 72;

export function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

/** Returns a message saying what to change, or null when the password is acceptable. */
export function checkNewPassword(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_CHARS) {
    return `Password must be at least ${MIN_PASSWORD_CHARS} characters.`;
  }
  if (utf8Length(password) > MAX_PASSWORD_BYTES) {
    return (
      `Password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (accented letters and emoji ` +
      "count as 2–4 bytes). Choose a shorter passphrase."
    );
  }
  return null;
}

export const PASSWORD_HINT = `At least ${MIN_PASSWORD_CHARS} characters and at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (accented letters and emoji count as 2–4 bytes).`;

/** The hint under a new-password field, with the current size once something is typed. */
export function passwordHint(password: string): string {
  if (!password) return PASSWORD_HINT;
  const bytes = utf8Length(password);
  return `${PASSWORD_HINT} Yours: ${bytes} byte${bytes === 1 ? "" : "s"}${bytes > MAX_PASSWORD_BYTES ? " — too long" : ""}.`;
}
