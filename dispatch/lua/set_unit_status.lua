-- Change a unit's status if its current status allows it, keeping the dispatch sets in step.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] incident hash       cad:{area}:incident:{ref} of the unit's incident, or any key of the
--                              area's slot when the caller saw none (checked against KEYS[2])
-- KEYS[6] audit stream        cad:{area}:audit
-- KEYS[7] unit since hash     cad:{area}:unit:since
-- KEYS[8] unit by hash        cad:{area}:unit:by
-- ARGV[1] callsign, ARGV[2] new status, ARGV[3] now (ms), ARGV[4] actor,
-- ARGV[5] the incident ref the caller read for this unit ('' for none),
-- ARGV[6] incident status to set when the unit reaches ARGV[2] ('' to leave it); 'closed' is
--         set only once the incident's last committed unit has cleared,
-- ARGV[7..] the statuses the new status may be entered from
-- returns {'ok', previous status, incident ref or ''}
--         {'rejected', current status, reason}
--         {'retry', '', ''}   the unit's incident changed since the caller read it: read and call again
--         {'missing', current status, ref}   the status would update the unit's incident, but
--                             KEYS[5] does not exist (not in this slot): nothing changed, and
--                             no incident hash is created
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
if ref ~= '' and ARGV[6] ~= '' and redis.call('EXISTS', KEYS[5]) == 0 then
  return {'missing', current, ref}
end
redis.call('HSET', KEYS[1], callsign, new_status)
redis.call('HSET', KEYS[7], callsign, now)
redis.call('HSET', KEYS[8], callsign, ARGV[4])
local clears = ARGV[6] == 'closed'
if new_status == 'available' then
  local pos = redis.call('GEOPOS', KEYS[3], callsign)[1]
  if pos then
    redis.call('GEOADD', KEYS[4], pos[1], pos[2], callsign)
  end
else
  redis.call('ZREM', KEYS[4], callsign)
end
if clears then
  redis.call('HDEL', KEYS[2], callsign)
end
if ref ~= '' and ARGV[6] ~= '' then
  local set_to = ARGV[6]
  if clears then
    -- The incident stays open while any of its other units is still committed to it, here or,
    -- lent by another area, there (its `borrowed` list: dispatch/mutual_aid.py).
    if (redis.call('HGET', KEYS[5], 'borrowed') or '') ~= '' then set_to = '' end
    for other in string.gmatch(redis.call('HGET', KEYS[5], 'units') or '', '[^,]+') do
      if redis.call('HGET', KEYS[2], other) == ref then set_to = '' end
    end
  elseif set_to == 'en_route' and redis.call('HGET', KEYS[5], 'status') == 'on_scene' then
    set_to = '' -- a second unit setting off does not undo the first one's arrival
  end
  if set_to ~= '' then
    redis.call('HSET', KEYS[5], 'status', set_to, 'status_ms', now)
    local field = set_to == 'on_scene' and 'on_scene_ms' or (clears and 'closed_ms' or '')
    if field ~= '' and redis.call('HEXISTS', KEYS[5], field) == 0 then
      redis.call('HSET', KEYS[5], field, now)
    end
  end
end
redis.call('XADD', KEYS[6], '*', 'type', 'unit_status', 'callsign', callsign, 'status', new_status,
  'previous', current, 'ref', ref, 'actor', ARGV[4], 'ts_ms', now)
return {'ok', current, ref}
