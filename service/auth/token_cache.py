"""Tokens already verified, so a busy client's every request does not pay for a signature check."""

from __future__ import annotations

from collections import OrderedDict

from service.auth.verify import Principal

# How long a verified token is taken on trust before its signature is checked again: this is
# all the cache adds to the time a withdrawn key goes on admitting its tokens (auth_keys).
MAX_TRUST_S = 60.0
# Verified tokens kept at most (the least recently used go first): a control room's clients.
MAX_TOKENS = 1024


class VerifiedTokens:
    """Each verified token's principal until the token expires or MAX_TRUST_S has passed."""

    def __init__(self, *, max_trust_s: float = MAX_TRUST_S, max_tokens: int = MAX_TOKENS) -> None:
        self._max_trust_s = max_trust_s
        self._max_tokens = max_tokens
        # The whole token is the key: a forged or altered token is another string, never a hit.
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str, now_s: float) -> Principal | None:
        """The principal of a token verified recently and not yet expired, else None."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, until_s = entry
        if now_s >= until_s:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return principal

    def put(self, token: str, principal: Principal, now_s: float) -> None:
        """Remember a token just verified (one without an expiry is not kept)."""
        if principal.expires_s is None:
            return
        self._entries[token] = (principal, min(principal.expires_s, now_s + self._max_trust_s))
        self._entries.move_to_end(token)
        while len(self._entries) > self._max_tokens:
            self._entries.popitem(last=False)
