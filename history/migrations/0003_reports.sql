-- Reports (docs/reports.md): incidents are found by the time their call was received, which
-- the record holds as epoch milliseconds. record_ms reads such a field as bigint, or NULL when
-- it is not one (a bad value never makes the archiver's insert fail), and the index lets a
-- report read only its window.
CREATE FUNCTION record_ms(record jsonb, field text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE WHEN record->>field ~ '^[0-9]{1,18}$' THEN (record->>field)::bigint END $$;

CREATE INDEX incidents_received ON incidents (record_ms(record, 'received_ms'));
