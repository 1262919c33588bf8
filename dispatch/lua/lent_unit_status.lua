-- A lent unit's status change, the unit side, in the LENDING area's slot: set_unit_status minus
-- the incident side, which lives in the borrowing area (borrowed_unit_status runs there next).
-- Also the unit side alone of a unit whose incident exists nowhere (set_unit_status answered
-- 'missing'): no incident hash is read or written here.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- ARGV[1] callsign, ARGV[2] new status, ARGV[3] now (ms), ARGV[4] actor,
-- ARGV[5] the foreign incident ref the caller read for this unit, ARGV[6] '1' when the new
-- status releases the unit from that incident ('' otherwise), ARGV[7] the borrowing area ('' when
-- the incident exists nowhere),
-- ARGV[8..] the statuses the new status may be entered from
-- returns {'ok', previous status, ref}
--         {'rejected', current status, reason}
--         {'retry', '', ''}   the unit's incident changed since the caller read it
local callsign, new_status, now, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
local current = redis.call('HGET', KEYS[1], callsign)
if not current then
  return {'rejected', '', 'unknown unit'}
end
if (redis.call('HGET', KEYS[2], callsign) or '') ~= ref then
  return {'retry', '', ''}
end
local allowed = false
for i = 8, #ARGV do
  if ARGV[i] == current then allowed = true end
end
if not allowed then
  return {'rejected', current, 'illegal transition ' .. current .. ' -> ' .. new_status}
end
redis.call('HSET', KEYS[1], callsign, new_status)
redis.call('HSET', KEYS[6], callsign, now)
redis.call('HSET', KEYS[7], callsign, ARGV[4])
if new_status == 'available' then
  local pos = redis.call('GEOPOS', KEYS[3], callsign)[1]
  if pos then
    redis.call('GEOADD', KEYS[4], pos[1], pos[2], callsign)
  end
else
  redis.call('ZREM', KEYS[4], callsign)
end
if ARGV[6] == '1' then
  redis.call('HDEL', KEYS[2], callsign)
end
redis.call('XADD', KEYS[5], '*', 'type', 'unit_status', 'callsign', callsign, 'status', new_status,
  'previous', current, 'ref', ref, 'to_area', ARGV[7], 'actor', ARGV[4], 'ts_ms', now)
return {'ok', current, ref}
