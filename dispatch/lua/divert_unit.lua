-- Divert a unit from its incident to another one of the same area, atomically: it leaves the
-- first (which, left with no committed unit, goes back to the pending queue) and is claimed for
-- the second under a new tasking, `assigned` until its MDT acknowledges (dispatch/acks.py), so
-- the acknowledgement watch covers the new tasking like any other. The caller refuses units
-- and incidents of other areas (dispatch/unit_control.py).
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] unit since hash     cad:{area}:unit:since
-- KEYS[5] unit by hash        cad:{area}:unit:by
-- KEYS[6] available geo set   cad:{area}:available
-- KEYS[7] pending zset        cad:{area}:pending
-- KEYS[8] audit stream        cad:{area}:audit
-- KEYS[9] incident hash       cad:{area}:incident:{from_ref}, the one the caller read for it
-- KEYS[10] incident hash      cad:{area}:incident:{to_ref}, where it goes
-- ARGV[1] callsign, ARGV[2] from_ref the caller read, ARGV[3] to_ref, ARGV[4] the new tasking
-- id, ARGV[5] now (ms), ARGV[6] actor, ARGV[7] reason
-- returns {'ok', previous status, the withdrawn tasking id, units still on from_ref}
--         {'rejected', current status, reason, ''}   nothing changed
--         {'retry', '', '', ''}            the unit's incident changed since the caller read it
--         {'missing', which ref, '', ''}   KEYS[9] or KEYS[10] does not exist: nothing changed
-- From the prelude: leave_incident, without, rank, WEIGHT, OPEN.
local callsign, from, to, tasking = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, actor, reason = ARGV[5], ARGV[6], ARGV[7]
local status = redis.call('HGET', KEYS[1], callsign)
if not status then
  return {'rejected', '', 'unknown unit', ''}
end
if (redis.call('HGET', KEYS[2], callsign) or '') ~= from then
  return {'retry', '', '', ''}
end
if from == '' then
  return {'rejected', status, 'not committed to an incident (' .. status .. ')', ''}
end
if from == to then
  return {'rejected', status, 'already committed to ' .. to, ''}
end
if redis.call('EXISTS', KEYS[9]) == 0 then
  return {'missing', from, '', ''}
end
local target_status = redis.call('HGET', KEYS[10], 'status')
if not target_status then
  return {'missing', to, '', ''}
end
if target_status == 'transfer' then
  return {'rejected', status, to .. ' is held for transfer to '
    .. (redis.call('HGET', KEYS[10], 'transfer_force') or 'another force'), ''}
end
if not OPEN[target_status] then
  return {'rejected', status, to .. ' is ' .. target_status .. ', not open', ''}
end
local unit = {status = KEYS[1], incident = KEYS[2], tasking = KEYS[3]}
local old_tasking = redis.call('HGET', KEYS[3], callsign) or ''
local left = leave_incident(unit, KEYS[9], KEYS[7], KEYS[8], callsign, from, now, actor,
  'diverted to ' .. to .. ': ' .. reason)
redis.call('ZREM', KEYS[6], callsign)
redis.call('HSET', KEYS[1], callsign, 'assigned')
redis.call('HSET', KEYS[2], callsign, to)
redis.call('HSET', KEYS[3], callsign, tasking)
redis.call('HSET', KEYS[4], callsign, now)
redis.call('HSET', KEYS[5], callsign, actor)
local units = without(redis.call('HGET', KEYS[10], 'units'), callsign)
local old_taskings = without(redis.call('HGET', KEYS[10], 'taskings'), '')
-- The target's units and taskings are parallel: drop the unit's old entry there, if any.
local taskings = {}
for i, listed in ipairs(without(redis.call('HGET', KEYS[10], 'units'), '')) do
  if listed ~= callsign then taskings[#taskings + 1] = old_taskings[i] end
end
units[#units + 1] = callsign
taskings[#taskings + 1] = tasking
redis.call('HSET', KEYS[10], 'units', table.concat(units, ','),
  'taskings', table.concat(taskings, ','))
if target_status == 'new' or target_status == 'pending' then
  redis.call('HSET', KEYS[10], 'status', 'dispatched', 'status_ms', now)
end
redis.call('HSETNX', KEYS[10], 'dispatched_ms', now)
redis.call('ZREM', KEYS[7], to)
redis.call('XADD', KEYS[8], '*', 'type', 'unit_assigned', 'ref', to, 'callsign', callsign,
  'tasking_id', tasking, 'actor', actor, 'reason', 'diverted from ' .. from .. ': ' .. reason,
  'from_ref', from, 'ts_ms', now)
redis.call('XADD', KEYS[8], '*', 'type', 'unit_status', 'callsign', callsign,
  'status', 'assigned', 'previous', status, 'ref', to, 'actor', actor, 'ts_ms', now)
return {'ok', status, old_tasking, tostring(left)}
