-- Change a unit's status if its current status allows it, keeping the dispatch sets in step. One
-- script for both sides of the status path (dispatch/unit_status.py, dispatch/lent_status.py):
-- with KEYS[8], the unit's incident lives in this slot and follows the unit; without it, only the
-- unit side runs and no incident hash is read or written: a unit lent to another area, whose
-- incident borrowed_unit_status updates there next, or one whose incident exists nowhere.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- KEYS[8] (the incident side here) incident hash  cad:{area}:incident:{ref} of the incident the
--         caller read for the unit (any ref when it read none: ARGV[5] is checked against KEYS[2])
-- KEYS[9] (with KEYS[8]) awaiting-result zset  cad:{area}:awaiting-result
-- ARGV[1] callsign, ARGV[2] new status, ARGV[3] now (ms), ARGV[4] actor,
-- ARGV[5] the incident ref the caller read for this unit ('' for none),
-- ARGV[6] incident status the new status means ('' to leave it); 'awaiting_result' releases the
--         unit from its incident, which awaits its result (KEYS[9]) once its last committed unit
--         has cleared,
-- ARGV[7] without KEYS[8]: the area the unit's incident lives in ('' when it exists nowhere),
--         audited as `to_area` ('' with KEYS[8])
-- ARGV[8] the unit a dispatcher set the status on behalf of ('' for the unit's own report),
--         audited as `on_behalf_of` beside the dispatcher's `actor`
-- ARGV[9..] the statuses the new status may be entered from
-- returns {'ok', previous status, incident ref or ''}
--         {'rejected', current status, reason}
--         {'retry', '', ''}   the unit's incident changed since the caller read it: read and call again
--         {'missing', current status, ref}   (with KEYS[8]) the status would update the unit's
--                             incident, but KEYS[8] does not exist (not in this slot): nothing
--                             changed, and no incident hash is created
-- From the prelude: FINAL.
local callsign, new_status, now, actor, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local incident = KEYS[8]
local current = redis.call('HGET', KEYS[1], callsign)
if not current then
  return {'rejected', '', 'unknown unit'}
end
if (redis.call('HGET', KEYS[2], callsign) or '') ~= ref then
  return {'retry', '', ''}
end
local allowed = false
for i = 9, #ARGV do
  if ARGV[i] == current then allowed = true end
end
if not allowed then
  return {'rejected', current, 'illegal transition ' .. current .. ' -> ' .. new_status}
end
local follows = incident and ref ~= '' and ARGV[6] ~= ''
if follows and redis.call('EXISTS', incident) == 0 then
  return {'missing', current, ref}
end
redis.call('HSET', KEYS[1], callsign, new_status)
redis.call('HSET', KEYS[6], callsign, now)
redis.call('HSET', KEYS[7], callsign, actor)
local clears = ARGV[6] == 'awaiting_result'
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
if follows then
  local set_to = ARGV[6]
  if clears then
    -- The incident stays open while any of its other units is still committed to it, here or,
    -- lent by another area, there (its `borrowed` list: dispatch/mutual_aid.py).
    if (redis.call('HGET', incident, 'borrowed') or '') ~= '' then set_to = '' end
    for other in string.gmatch(redis.call('HGET', incident, 'units') or '', '[^,]+') do
      if redis.call('HGET', KEYS[2], other) == ref then set_to = '' end
    end
  elseif set_to == 'en_route' and redis.call('HGET', incident, 'status') == 'on_scene' then
    set_to = '' -- a second unit setting off does not undo the first one's arrival
  end
  local was = redis.call('HGET', incident, 'status')
  if FINAL[was] or (clears and was == set_to) then
    set_to = '' -- a final incident stays final; one awaiting its result is not queued twice
  end
  if set_to ~= '' then
    redis.call('HSET', incident, 'status', set_to, 'status_ms', now)
    local field = set_to == 'on_scene' and 'on_scene_ms' or (clears and 'cleared_ms' or '')
    if field ~= '' and redis.call('HEXISTS', incident, field) == 0 then
      redis.call('HSET', incident, field, now)
    end
    if clears then
      redis.call('ZADD', KEYS[9], now, ref)
      redis.call('XADD', KEYS[5], '*', 'type', 'incident_awaiting_result', 'ref', ref,
        'previous', was, 'actor', actor, 'ts_ms', now)
    end
  end
end
local entry = {'type', 'unit_status', 'callsign', callsign, 'status', new_status,
  'previous', current, 'ref', ref}
if not incident then
  entry[#entry + 1] = 'to_area'
  entry[#entry + 1] = ARGV[7]
end
if ARGV[8] ~= '' then
  entry[#entry + 1] = 'on_behalf_of'
  entry[#entry + 1] = ARGV[8]
end
entry[#entry + 1] = 'actor'
entry[#entry + 1] = actor
entry[#entry + 1] = 'ts_ms'
entry[#entry + 1] = now
redis.call('XADD', KEYS[5], '*', unpack(entry))
return {'ok', current, ref}
