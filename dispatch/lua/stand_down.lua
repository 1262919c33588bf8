-- Stand a unit down from its incident on a dispatcher's word: the unit becomes available, the
-- incident drops it and, if it was the last unit committed, goes back to the pending queue. Only
-- for a unit whose incident lives in this slot (a unit lent to another area is refused by the
-- caller: dispatch/unit_control.py).
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] unit since hash     cad:{area}:unit:since
-- KEYS[5] unit by hash        cad:{area}:unit:by
-- KEYS[6] positions geo set   cad:{area}:positions
-- KEYS[7] available geo set   cad:{area}:available
-- KEYS[8] pending zset        cad:{area}:pending
-- KEYS[9] audit stream        cad:{area}:audit
-- KEYS[10] incident hash      cad:{area}:incident:{ref} of the incident the caller read for it
-- ARGV[1] callsign, ARGV[2] ref the caller read, ARGV[3] now (ms), ARGV[4] actor, ARGV[5] reason
-- returns {'ok', previous status, the withdrawn tasking id, units still committed}
--         {'rejected', current status, reason, ''}   nothing changed
--         {'retry', '', '', ''}     the unit's incident changed since the caller read it
--         {'missing', '', '', ''}   KEYS[10] does not exist: nothing changed
-- From the prelude: leave_incident, without, rank, WEIGHT, OPEN.
local callsign, ref, now, actor, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local status = redis.call('HGET', KEYS[1], callsign)
if not status then
  return {'rejected', '', 'unknown unit', ''}
end
if (redis.call('HGET', KEYS[2], callsign) or '') ~= ref then
  return {'retry', '', '', ''}
end
if ref == '' then
  return {'rejected', status, 'not committed to an incident (' .. status .. ')', ''}
end
if redis.call('EXISTS', KEYS[10]) == 0 then
  return {'missing', '', '', ''}
end
local unit = {status = KEYS[1], incident = KEYS[2], tasking = KEYS[3]}
local tasking = redis.call('HGET', KEYS[3], callsign) or ''
local left = leave_incident(unit, KEYS[10], KEYS[8], KEYS[9], callsign, ref, now, actor, reason)
-- Not this unit for this incident: no automatic claim sends it back (claim_plan.lua).
local refused = without(redis.call('HGET', KEYS[10], 'stood_down'), callsign)
refused[#refused + 1] = callsign
redis.call('HSET', KEYS[10], 'stood_down', table.concat(refused, ','))
redis.call('HSET', KEYS[1], callsign, 'available')
redis.call('HSET', KEYS[4], callsign, now)
redis.call('HSET', KEYS[5], callsign, actor)
redis.call('HDEL', KEYS[2], callsign)
redis.call('HDEL', KEYS[3], callsign)
local pos = redis.call('GEOPOS', KEYS[6], callsign)[1]
if pos then
  redis.call('GEOADD', KEYS[7], pos[1], pos[2], callsign)
end
redis.call('XADD', KEYS[9], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'available', 'previous', status, 'ref', ref, 'actor', actor, 'ts_ms', now)
return {'ok', status, tasking, tostring(left)}
