-- The history store's first schema: the audit trail, closed incidents, and the archiver's
-- bookkeeping (docs/history.md). Every row keeps all of its fields as JSONB beside the indexed
-- columns, so fields added later are kept without a migration.

-- Every entry of every area's audit stream, keyed by where it came from: archiving it twice
-- changes nothing (ON CONFLICT DO NOTHING).
CREATE TABLE audit_entries (
    area      text        NOT NULL,
    entry_ms  bigint      NOT NULL,  -- the stream id, `ms-seq`
    entry_seq bigint      NOT NULL,
    ts        timestamptz NOT NULL,  -- ts_ms when the entry has it, else the stream id's time
    kind      text        NOT NULL,  -- the entry's `type`
    ref       text,
    refs      text[]      NOT NULL,  -- ref, from_ref, to_ref: every incident it is about
    callsign  text,
    actor     text,
    fields    jsonb       NOT NULL,
    PRIMARY KEY (area, entry_ms, entry_seq)
);
CREATE INDEX audit_entries_refs ON audit_entries USING gin (refs);
CREATE INDEX audit_entries_callsign ON audit_entries (callsign, ts, area, entry_ms, entry_seq)
    WHERE callsign IS NOT NULL;
CREATE INDEX audit_entries_actor ON audit_entries (actor, ts, area, entry_ms, entry_seq)
    WHERE actor IS NOT NULL;
CREATE INDEX audit_entries_ts ON audit_entries (ts, area, entry_ms, entry_seq);

-- How far each area's stream is archived: written in the same transaction as its rows.
CREATE TABLE archive_checkpoints (
    area       text        PRIMARY KEY,
    last_ms    bigint      NOT NULL DEFAULT 0,
    last_seq   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Incidents the audit trail has mentioned since they were last looked at (`dirty`), and those
-- copied here that Redis still holds (`copied_closed_ms`, and `copied_digest`: the SHA1 of the
-- hash as copied, which Redis must still match for the copy to replace it): the to-do list.
CREATE TABLE archive_pending (
    ref              text    PRIMARY KEY,
    area             text    NOT NULL,
    dirty            boolean NOT NULL DEFAULT true,
    copied_closed_ms bigint,
    copied_digest    text
);
CREATE INDEX archive_pending_dirty ON archive_pending (ref) WHERE dirty;
CREATE INDEX archive_pending_copied ON archive_pending (copied_closed_ms)
    WHERE copied_closed_ms IS NOT NULL;

-- A closed, cancelled or referred incident: its whole record and its calls; its chronology is
-- its audit entries (audit_entries.refs).
CREATE TABLE incidents (
    ref           text        PRIMARY KEY,
    area          text        NOT NULL,
    status        text        NOT NULL,
    grade         text,
    incident_type text,
    result        text,
    created_at    timestamptz NOT NULL,
    closed_at     timestamptz,
    units         text[]      NOT NULL,
    record        jsonb       NOT NULL,  -- every field of the Redis hash
    calls         jsonb       NOT NULL,  -- the linked calls, oldest first (no caller number)
    search        tsvector    NOT NULL,  -- `q`: ref, type, result, notes, the calls' words
    archived_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_created ON incidents (created_at DESC, ref DESC);
CREATE INDEX incidents_area_created ON incidents (area, created_at DESC, ref DESC);
CREATE INDEX incidents_units ON incidents USING gin (units);
CREATE INDEX incidents_search ON incidents USING gin (search);
