-- Escalate a tasking its MDT did not acknowledge in time: the unit becomes 'unresponsive' (out
-- of the available set, so never recommended) and is released from its incident; an incident
-- left with no unit goes back to 'new' for the dispatcher to claim the next nearest unit. Only
-- for a unit whose incident lives in this slot: a lent unit's escalation is a saga
-- (escalate_unit here, then drop_borrowed_unit in the borrowing area: dispatch/acks.py).
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] incident hash       cad:{area}:incident:{ref} of the incident the caller read for
--                              the unit (checked against KEYS[2] through ARGV[6])
-- KEYS[6] audit stream        cad:{area}:audit
-- KEYS[7] unit since hash     cad:{area}:unit:since
-- KEYS[8] unit by hash        cad:{area}:unit:by
-- ARGV[1] callsign, ARGV[2] the tasking id that went unacknowledged, ARGV[3] now (ms),
-- ARGV[4] actor, ARGV[5] deadline cut-off (ms): only a tasking issued at or before it is due,
-- ARGV[6] the incident ref the caller read for the unit
-- returns {'escalated', ref, units left on the incident (comma separated), the unit's 1-based
--          position in the incident's unit list (plan order)}
--         {'skipped', reason, '', ''}   acknowledged, replaced or not yet due: nothing changed
--         {'missing', ref, '', ''}      KEYS[5] does not exist (the incident is not in this slot):
--                                        nothing changed, and no incident hash is created
local callsign, tasking, now, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', KEYS[1], callsign) ~= 'assigned' then
  return {'skipped', 'not assigned', '', ''}
end
if redis.call('HGET', KEYS[3], callsign) ~= tasking then
  return {'skipped', 'holds another tasking', '', ''}
end
if tonumber(redis.call('HGET', KEYS[7], callsign) or '0') > tonumber(ARGV[5]) then
  return {'skipped', 'not yet due', '', ''}
end
local ref = redis.call('HGET', KEYS[2], callsign) or ''
if ref ~= ARGV[6] then
  return {'skipped', 'incident changed', '', ''}
end
if ref ~= '' and redis.call('EXISTS', KEYS[5]) == 0 then
  return {'missing', ref, '', ''}
end
redis.call('HSET', KEYS[1], callsign, 'unresponsive')
redis.call('HSET', KEYS[7], callsign, now)
redis.call('HSET', KEYS[8], callsign, actor)
redis.call('ZREM', KEYS[4], callsign)
redis.call('HDEL', KEYS[2], callsign)
redis.call('HDEL', KEYS[3], callsign)
local units, taskings, position = {}, {}, 0
local index = 0
for unit in string.gmatch(redis.call('HGET', KEYS[5], 'units') or '', '[^,]+') do
  index = index + 1
  if unit == callsign then position = index else units[#units + 1] = unit end
end
for id in string.gmatch(redis.call('HGET', KEYS[5], 'taskings') or '', '[^,]+') do
  if id ~= tasking then taskings[#taskings + 1] = id end
end
if ref ~= '' then
  redis.call('HSET', KEYS[5], 'units', table.concat(units, ','),
    'taskings', table.concat(taskings, ','))
  if #units == 0 then
    redis.call('HSET', KEYS[5], 'status', 'new', 'status_ms', now)
  end
end
redis.call('XADD', KEYS[6], '*', 'type', 'tasking_unacknowledged', 'callsign', callsign,
  'ref', ref, 'tasking_id', tasking, 'units_left', table.concat(units, ','), 'actor', actor,
  'ts_ms', now)
redis.call('XADD', KEYS[6], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'unresponsive', 'previous', 'assigned', 'ref', ref, 'actor', actor, 'ts_ms', now)
return {'escalated', ref, table.concat(units, ','), tostring(position)}
