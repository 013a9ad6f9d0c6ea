// Mirrors the server's first checks (tuneforge/auth/passwords.py). The server also refuses
// guessable passwords and the email itself, and says why; bcrypt reads at most 72 bytes.
export const MIN_PASSWORD_CHARS = 10;
export const MAX_PASSWORD_BYTES = 72;

export function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

/** Returns a message saying what to change, or null when the password is acceptable. */
export function checkNewPassword(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_CHARS) {
    return `Password must be at least ${MIN_PASSWORD_CHARS} characters; a few unrelated words work well.`;
  }
  if (utf8Length(password) > MAX_PASSWORD_BYTES) {
    return (
      "This password is too long: use a shorter passphrase (at most 72 plain letters or digits; " +
      "accented letters and emoji count as 2 to 4)."
    );
  }
  return null;
}

export const PASSWORD_HINT = `${MIN_PASSWORD_CHARS} or more characters; a few unrelated words work well.`;

/** The hint under a new-password field; it says so once the password is too long. */
export function passwordHint(password: string): string {
  return utf8Length(password) > MAX_PASSWORD_BYTES ? `${PASSWORD_HINT} This one is too long.` : PASSWORD_HINT;
}
