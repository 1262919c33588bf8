"""Who may call the API: bearer tokens verified against the identity provider's keys, roles."""
