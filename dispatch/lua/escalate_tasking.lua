-- Escalate a tasking its MDT did not acknowledge in time: the unit becomes 'unresponsive' (out
-- of the available set, so never recommended) and is released from its incident; an incident
-- left with no unit goes back to 'new' for the dispatcher to claim the next nearest unit. Only
-- for a unit whose incident lives in this slot: a lent unit's escalation is a saga
-- (escalate_unit here, then drop_borrowed_unit in the borrowing area: dispatch/acks.py).
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- KEYS[8] incident hash       cad:{area}:incident:{ref} of the incident the caller read for
--                              the unit (checked against KEYS[2] through ARGV[6])
-- ARGV[1] callsign, ARGV[2] the tasking id that went unacknowledged, ARGV[3] now (ms),
-- ARGV[4] actor, ARGV[5] deadline cut-off (ms): only a tasking issued at or before it is due,
-- ARGV[6] the incident ref the caller read for the unit
-- returns {'escalated', ref, units left on the incident (comma separated), the unit's 1-based
--          position in the incident's unit list (plan order)}
--         {'skipped', reason, '', ''}   acknowledged, replaced or not yet due: nothing changed
--         {'missing', ref, '', ''}      KEYS[8] does not exist (the incident is not in this slot):
--                                        nothing changed, and no incident hash is created
-- From the prelude: escalation_refused, make_unresponsive (the unit side, as escalate_unit's).
local callsign, tasking, now, actor, ref = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local unit = {status = KEYS[1], incident = KEYS[2], tasking = KEYS[3], available = KEYS[4],
  since = KEYS[6], by = KEYS[7]}
local refused = escalation_refused(unit, callsign, tasking, ARGV[5], ref)
if refused then
  return {'skipped', refused, '', ''}
end
if ref ~= '' and redis.call('EXISTS', KEYS[8]) == 0 then
  return {'missing', ref, '', ''}
end
make_unresponsive(unit, callsign, now, actor)
local units, taskings, position = {}, {}, 0
local index = 0
for listed in string.gmatch(redis.call('HGET', KEYS[8], 'units') or '', '[^,]+') do
  index = index + 1
  if listed == callsign then position = index else units[#units + 1] = listed end
end
for id in string.gmatch(redis.call('HGET', KEYS[8], 'taskings') or '', '[^,]+') do
  if id ~= tasking then taskings[#taskings + 1] = id end
end
if ref ~= '' then
  redis.call('HSET', KEYS[8], 'units', table.concat(units, ','),
    'taskings', table.concat(taskings, ','))
  if #units == 0 then
    redis.call('HSET', KEYS[8], 'status', 'new', 'status_ms', now)
  end
end
redis.call('XADD', KEYS[5], '*', 'type', 'tasking_unacknowledged', 'callsign', callsign,
  'ref', ref, 'tasking_id', tasking, 'units_left', table.concat(units, ','), 'actor', actor,
  'ts_ms', now)
redis.call('XADD', KEYS[5], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'unresponsive', 'previous', 'assigned', 'ref', ref, 'actor', actor, 'ts_ms', now)
return {'escalated', ref, table.concat(units, ','), tostring(position)}
