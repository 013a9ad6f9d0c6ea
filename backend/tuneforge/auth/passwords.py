"""The rule for new passwords: long enough, not guessable (zxcvbn), not the email, fits bcrypt.

Every refusal says why in plain words, so the person can pick a better one at once.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from tuneforge.security import BCRYPT_MAX_BYTES

MIN_PASSWORD_CHARS = 10
# zxcvbn scores 0 (guessed in seconds) to 4; 3 means "safely unguessable" against online attacks
# and slow offline ones (about 10^8 guesses or more).
MIN_ZXCVBN_SCORE = 3

TOO_GUESSABLE = "This password is too easy to guess."
GENERIC_ADVICE = "Add another word or two; a few unrelated words work well."


def password_problem(password: str, *, email: str | None = None, display_name: str | None = None) -> str | None:
    """Why `password` is refused as a new password, or None when it is acceptable."""
    lowered = password.strip().lower()
    if re.fullmatch(r"(password)+", re.sub(r"[^a-z]", "", lowered)):
        return 'A password cannot be the word "password": it is the first thing anyone tries.'
    inputs: list[str] = ["tuneforge"]
    if email:
        email = email.strip().lower()
        local = email.split("@", 1)[0]
        inputs += [email, local]
        if lowered in (email, local) or email in lowered:
            return "A password cannot be your email address or the part before the @: anyone who knows you would try it."
    if display_name and display_name.strip():
        inputs.append(display_name.strip().lower())
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Password must be at least {MIN_PASSWORD_CHARS} characters; a few unrelated words work well."
    if len(password.encode()) > BCRYPT_MAX_BYTES:
        return (
            "This password is too long: use a shorter passphrase (at most 72 plain letters or digits; "
            "accented letters and emoji count as 2 to 4)."
        )
    result = zxcvbn(password, user_inputs=inputs)
    if result["score"] >= MIN_ZXCVBN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    advice = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    words = " ".join(_sentence(a) for a in advice if a and a.strip())
    return f"{TOO_GUESSABLE} {words or GENERIC_ADVICE}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
