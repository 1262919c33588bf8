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
local callsign, tasking, now, actor, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
if redis.call('HGET', KEYS[1], callsign) ~= 'assigned' then
  return {'skipped', 'not assigned'}
end
if redis.call('HGET', KEYS[3], callsign) ~= tasking then
  return {'skipped', 'holds another tasking'}
end
if tonumber(redis.call('HGET', KEYS[6], callsign) or '0') > tonumber(ARGV[5]) then
  return {'skipped', 'not yet due'}
end
if (redis.call('HGET', KEYS[2], callsign) or '') ~= ref then
  return {'skipped', 'incident changed'}
end
redis.call('HSET', KEYS[1], callsign, 'unresponsive')
redis.call('HSET', KEYS[6], callsign, now)
redis.call('HSET', KEYS[7], callsign, actor)
redis.call('ZREM', KEYS[4], callsign)
redis.call('HDEL', KEYS[2], callsign)
redis.call('HDEL', KEYS[3], callsign)
redis.call('XADD', KEYS[5], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'unresponsive', 'previous', 'assigned', 'ref', ref, 'tasking_id', tasking,
  'to_area', ARGV[7], 'actor', actor, 'ts_ms', now)
return {'escalated', ref}
