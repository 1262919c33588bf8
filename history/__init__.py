"""The history store: PostgreSQL, the system of record for what is over (closed incidents and
the audit trail), its versioned migrations, the archiver that fills it from Redis and the
searches that read it (docs/history.md)."""
