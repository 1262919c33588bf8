-- A lent unit's status change, the incident side, in the BORROWING area's slot. The unit side
-- ran first in the lending area (set_unit_status without the incident's hash, so that it never
-- writes an incident hash there); this keeps the borrowed incident in step, as set_unit_status
-- does for a local unit.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] unit incident hash  cad:{area}:unit:incident (for the incident's own local units)
-- KEYS[3] audit stream        cad:{area}:audit
-- KEYS[4] awaiting-result zset cad:{area}:awaiting-result
-- ARGV[1] ref, ARGV[2] callsign, ARGV[3] the unit's new status, ARGV[4] incident status to set
-- ('' to leave it; 'awaiting_result' means the unit has cleared: it is no longer on loan to the
-- incident, which awaits its result once no unit, local or lent, is committed to it),
-- ARGV[5] now (ms),
-- ARGV[6] actor, ARGV[7] the lending area
-- returns {'ok', incident status set or ''}
--         {'ignored', reason}   the unit is not on loan to the incident: nothing changed
--         {'missing', reason}   no such incident: nothing changed (no hash is created)
-- From the prelude: without, FINAL.
local ref, callsign, now = ARGV[1], ARGV[2], ARGV[5]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', 'no incident ' .. ref}
end
local borrowed = redis.call('HGET', KEYS[1], 'borrowed') or ''
local others = without(borrowed, callsign)
if #others == #without(borrowed, '') then
  return {'ignored', callsign .. ' is not on loan to ' .. ref}
end
local set_to = ARGV[4]
local clears = set_to == 'awaiting_result'
if clears then
  redis.call('HSET', KEYS[1], 'borrowed', table.concat(others, ','))
  if #others > 0 then set_to = '' end
  for other in string.gmatch(redis.call('HGET', KEYS[1], 'units') or '', '[^,]+') do
    if redis.call('HGET', KEYS[2], other) == ref then set_to = '' end
  end
elseif set_to == 'en_route' and status == 'on_scene' then
  set_to = '' -- a second unit setting off does not undo the first one's arrival
end
if FINAL[status] or (clears and status == set_to) then
  set_to = '' -- a final incident stays final (a dispatcher closed it while the unit was out)
end
if set_to ~= '' then
  redis.call('HSET', KEYS[1], 'status', set_to, 'status_ms', now)
  local field = set_to == 'on_scene' and 'on_scene_ms' or (clears and 'cleared_ms' or '')
  if field ~= '' then
    redis.call('HSETNX', KEYS[1], field, now)
  end
  if clears then
    redis.call('ZADD', KEYS[4], now, ref)
    redis.call('XADD', KEYS[3], '*', 'type', 'incident_awaiting_result', 'ref', ref,
      'previous', status, 'actor', ARGV[6], 'ts_ms', now)
  end
end
redis.call('XADD', KEYS[3], '*', 'type', 'borrowed_unit_status', 'ref', ref, 'callsign', callsign,
  'status', ARGV[3], 'from_area', ARGV[7], 'actor', ARGV[6], 'ts_ms', now)
return {'ok', set_to}
