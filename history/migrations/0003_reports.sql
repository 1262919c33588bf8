-- Reports (docs/reports.md): an incident's times as columns of their own, so that a report
-- reads its window from one index without opening each row's JSONB.
--
-- record_ms reads a field of the record holding epoch milliseconds as bigint, or NULL when it
-- is not one: a bad value never makes the archiver's insert fail. Not STRICT, so that the
-- planner can inline it.
CREATE FUNCTION record_ms(record jsonb, field text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN record->>field ~ '^[0-9]{1,18}$' THEN (record->>field)::bigint END $$;

-- Generated from the record, so the archiver's writes need not name them.
ALTER TABLE incidents
    ADD COLUMN received_ms   bigint GENERATED ALWAYS AS (record_ms(record, 'received_ms')) STORED,
    ADD COLUMN dispatched_ms bigint GENERATED ALWAYS AS (record_ms(record, 'dispatched_ms')) STORED,
    ADD COLUMN on_scene_ms   bigint GENERATED ALWAYS AS (record_ms(record, 'on_scene_ms')) STORED;

-- Everything a report reads of an incident is in the index (an index-only scan).
CREATE INDEX incidents_received ON incidents (received_ms)
    INCLUDE (area, grade, status, dispatched_ms, on_scene_ms, ref);
