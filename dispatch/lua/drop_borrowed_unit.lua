-- Escalate a lent unit's unacknowledged tasking, the INCIDENT side, in the BORROWING area's slot.
-- The unit side ran first in the lending area (escalate_unit: the unit is 'unresponsive' and no
-- longer committed there). The incident drops the unit from `units`, `taskings` (the entry at
-- the same place: they are parallel lists) and `borrowed`, and its `lent_from:{callsign}` field;
-- left with no unit, an open incident goes back to 'new' for the dispatcher to claim again, as
-- escalate_tasking does for a local unit.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] callsign, ARGV[3] the tasking id that went unacknowledged,
-- ARGV[4] now (ms), ARGV[5] actor, ARGV[6] the lending area
-- returns {'dropped', units left (comma separated), the unit's 1-based position in `units`}
--         {'ignored', reason, ''}   the unit is not on loan to the incident: nothing changed
--         {'missing', '', ''}       no such incident: nothing changed (no hash is created)
-- From the prelude: OPEN.
local ref, callsign, tasking, now, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
local borrowed, on_loan = {}, false
for unit in string.gmatch(redis.call('HGET', KEYS[1], 'borrowed') or '', '[^,]+') do
  if unit == callsign then on_loan = true else borrowed[#borrowed + 1] = unit end
end
if not on_loan then
  return {'ignored', callsign .. ' is not on loan to ' .. ref, ''}
end
local listed = {}
for id in string.gmatch(redis.call('HGET', KEYS[1], 'taskings') or '', '[^,]+') do
  listed[#listed + 1] = id
end
local units, taskings, position, index = {}, {}, 0, 0
for unit in string.gmatch(redis.call('HGET', KEYS[1], 'units') or '', '[^,]+') do
  index = index + 1
  if unit == callsign then
    position = index
  else
    units[#units + 1] = unit
    taskings[#taskings + 1] = listed[index]
  end
end
redis.call('HSET', KEYS[1], 'units', table.concat(units, ','),
  'taskings', table.concat(taskings, ','), 'borrowed', table.concat(borrowed, ','))
redis.call('HDEL', KEYS[1], 'lent_from:' .. callsign)
if #units == 0 and OPEN[status] then
  redis.call('HSET', KEYS[1], 'status', 'new', 'status_ms', now)
end
redis.call('XADD', KEYS[2], '*', 'type', 'tasking_unacknowledged', 'callsign', callsign,
  'ref', ref, 'tasking_id', tasking, 'units_left', table.concat(units, ','),
  'from_area', ARGV[6], 'actor', actor, 'ts_ms', now)
return {'dropped', table.concat(units, ','), tostring(position)}
