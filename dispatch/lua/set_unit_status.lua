-- Change a unit's status if its current status allows it, keeping the dispatch sets in step.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] incident hash       cad:{area}:incident:{ref} of the unit's incident, or any key of the
--                              area's slot when the caller saw none (checked against KEYS[2])
-- KEYS[6] audit stream        cad:{area}:audit
-- ARGV[1] callsign, ARGV[2] new status, ARGV[3] now (ms), ARGV[4] actor,
-- ARGV[5] the incident ref the caller read for this unit ('' for none),
-- ARGV[6] incident status to set when the unit reaches ARGV[2] ('' to leave it),
-- ARGV[7..] the statuses the new status may be entered from
-- returns {'ok', previous status, incident ref or ''}
--         {'rejected', current status, reason}
--         {'retry', '', ''}   the unit's incident changed since the caller read it: read and call again
local callsign, new_status, now = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', KEYS[1], callsign)
if not current then
  return {'rejected', '', 'unknown unit'}
end
local ref = redis.call('HGET', KEYS[2], callsign) or ''
if ref ~= ARGV[5] then
  return {'retry', '', ''}
end
local allowed = false
for i = 7, #ARGV do
  if ARGV[i] == current then allowed = true end
end
if not allowed then
  return {'rejected', current, 'illegal transition ' .. current .. ' -> ' .. new_status}
end
redis.call('HSET', KEYS[1], callsign, new_status)
if new_status == 'available' then
  local pos = redis.call('GEOPOS', KEYS[3], callsign)[1]
  if pos then
    redis.call('GEOADD', KEYS[4], pos[1], pos[2], callsign)
  end
  redis.call('HDEL', KEYS[2], callsign)
else
  redis.call('ZREM', KEYS[4], callsign)
end
if ref ~= '' and ARGV[6] ~= '' then
  redis.call('HSET', KEYS[5], 'status', ARGV[6], 'status_ms', now)
end
redis.call('XADD', KEYS[6], '*', 'type', 'unit_status', 'callsign', callsign, 'status', new_status,
  'previous', current, 'ref', ref, 'actor', ARGV[4], 'ts_ms', now)
return {'ok', current, ref}
