-- Escalate a tasking its MDT did not acknowledge in time, the UNIT side alone, for a unit whose
-- incident is not in this slot: lent to another area (dispatch/mutual_aid.py), where
-- drop_borrowed_unit runs next for the incident side, or committed to an incident that is gone.
-- The unit becomes 'unresponsive' (out of the available set) and loses its tasking and its
-- incident; no incident hash is read or written here.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- ARGV[1] callsign, ARGV[2] the tasking id that went unacknowledged, ARGV[3] now (ms),
-- ARGV[4] actor, ARGV[5] deadline cut-off (ms): only a tasking issued at or before it is due,
-- ARGV[6] the incident ref the caller read for the unit, ARGV[7] the area the incident lives in
-- ('' when it is nowhere: the caller found it missing)
-- returns {'escalated', ref}
--         {'skipped', reason}   acknowledged, replaced, not yet due or moved: nothing changed
-- From the prelude: escalation_refused, make_unresponsive (the unit side, as escalate_tasking's).
local callsign, tasking, now, actor, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local unit = {status = KEYS[1], incident = KEYS[2], tasking = KEYS[3], available = KEYS[4],
  since = KEYS[6], by = KEYS[7]}
local refused = escalation_refused(unit, callsign, tasking, ARGV[5], ref)
if refused then
  return {'skipped', refused}
end
make_unresponsive(unit, callsign, now, actor)
redis.call('XADD', KEYS[5], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'unresponsive', 'previous', 'assigned', 'ref', ref, 'tasking_id', tasking,
  'to_area', ARGV[7], 'actor', actor, 'ts_ms', now)
return {'escalated', ref}
