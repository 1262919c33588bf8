-- Claim named units for an incident, all or none: a dispatcher's choice, or a pre-emption that
-- takes units committed to lower-grade incidents which are not yet on scene.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[5] unit since hash     cad:{area}:unit:since
-- KEYS[6] unit by hash        cad:{area}:unit:by
-- KEYS[7] incident hash       cad:{area}:incident:{ref}, the incident the units go to
-- KEYS[8] pending zset        cad:{area}:pending
-- KEYS[9] audit stream        cad:{area}:audit
-- KEYS[9+i] the incident hash unit i is taken from (KEYS[7] again for an available unit)
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] reason (kept in the audit entries),
-- ARGV[5] N units, then N triples: callsign, tasking id, the ref it is taken from ('' if none)
-- returns {'claimed', callsigns, tasking ids, refs taken from}  (comma separated)
--         {'rejected', callsign, reason, ''}   nothing was changed
--         {'missing', '', '', ''}              no such incident
-- From the prelude: without, rank, WEIGHT, OPEN.
-- An incident's units and taskings are parallel lists; a unit named again for an incident it
-- once served replaces its old entry, so each unit stands once, beside its own tasking.
local function without_unit(units, taskings, callsign)
  local kept_units, kept_taskings = {}, {}
  for i, unit in ipairs(units) do
    if unit ~= callsign then
      kept_units[#kept_units + 1] = unit
      kept_taskings[#kept_taskings + 1] = taskings[i]
    end
  end
  return kept_units, kept_taskings
end
local ref, now, actor, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[7]) == 0 then
  return {'missing', '', '', ''}
end
local target_status = redis.call('HGET', KEYS[7], 'status') or ''
if not OPEN[target_status] then
  return {'rejected', '', 'the incident is ' .. target_status .. ', not open', ''}
end
local target_rank = rank(redis.call('HGET', KEYS[7], 'grade'))
local n = tonumber(ARGV[5])
local seen = {}
for i = 1, n do
  local callsign, from = ARGV[3 + i * 3], ARGV[5 + i * 3]
  if seen[callsign] then
    return {'rejected', callsign, 'named twice', ''}
  end
  seen[callsign] = true
  local status = redis.call('HGET', KEYS[2], callsign)
  if from == '' then
    if status ~= 'available' then
      return {'rejected', callsign, 'not available: ' .. (status or 'unknown unit'), ''}
    end
  else
    if redis.call('HGET', KEYS[3], callsign) ~= from then
      return {'rejected', callsign, 'no longer committed to ' .. from, ''}
    end
    if status ~= 'assigned' and status ~= 'en_route' then
      return {'rejected', callsign, 'cannot be pre-empted when ' .. (status or 'unknown'), ''}
    end
    if redis.call('EXISTS', KEYS[9 + i]) == 0 then
      -- A unit lent to another area's incident (dispatch/mutual_aid.py) is not ours to take.
      return {'rejected', callsign, from .. ' is not an incident of this area', ''}
    end
    if rank(redis.call('HGET', KEYS[9 + i], 'grade')) <= target_rank then
      return {'rejected', callsign, from .. ' is not of a lower grade', ''}
    end
  end
end
local units = without(redis.call('HGET', KEYS[7], 'units'), '')
local taskings = without(redis.call('HGET', KEYS[7], 'taskings'), '')
local picked, picked_taskings, froms = {}, {}, {}
for i = 1, n do
  local callsign, tasking, from = ARGV[3 + i * 3], ARGV[4 + i * 3], ARGV[5 + i * 3]
  if from ~= '' then
    local old = KEYS[9 + i]
    local old_units = without(redis.call('HGET', old, 'units'), callsign)
    local old_tasking = redis.call('HGET', KEYS[4], callsign)
    local old_taskings = without(redis.call('HGET', old, 'taskings'), old_tasking)
    redis.call('HSET', old, 'units', table.concat(old_units, ','),
      'taskings', table.concat(old_taskings, ','))
    redis.call('XADD', KEYS[9], '*', 'type', 'unit_preempted', 'ref', from, 'callsign', callsign,
      'to_ref', ref, 'actor', actor, 'reason', reason, 'ts_ms', now)
    -- The units field keeps units that have been and gone: count those still committed to it.
    local committed = 0
    for _, other in ipairs(old_units) do
      if redis.call('HGET', KEYS[3], other) == from then committed = committed + 1 end
    end
    if committed == 0 then
      -- Back to the queue at the front of its own grade.
      local score = rank(redis.call('HGET', old, 'grade')) * WEIGHT
      redis.call('HSET', old, 'status', 'pending')
      redis.call('ZADD', KEYS[8], score, from)
      redis.call('XADD', KEYS[9], '*', 'type', 'incident_queued', 'ref', from, 'actor', actor,
        'reason', 'pre-empted by ' .. ref, 'ts_ms', now)
    end
  end
  redis.call('ZREM', KEYS[1], callsign)
  redis.call('HSET', KEYS[2], callsign, 'assigned')
  redis.call('HSET', KEYS[3], callsign, ref)
  redis.call('HSET', KEYS[4], callsign, tasking)
  redis.call('HSET', KEYS[5], callsign, now)
  redis.call('HSET', KEYS[6], callsign, actor)
  redis.call('XADD', KEYS[9], '*', 'type', 'unit_assigned', 'ref', ref, 'callsign', callsign,
    'tasking_id', tasking, 'actor', actor, 'reason', reason, 'from_ref', from, 'ts_ms', now)
  units, taskings = without_unit(units, taskings, callsign)
  units[#units + 1] = callsign
  taskings[#taskings + 1] = tasking
  picked[#picked + 1] = callsign
  picked_taskings[#picked_taskings + 1] = tasking
  froms[#froms + 1] = from
end
redis.call('HSET', KEYS[7], 'units', table.concat(units, ','),
  'taskings', table.concat(taskings, ','))
-- A unit added to an incident already under way (a backup, a replacement) does not undo its
-- progress: only a waiting incident becomes dispatched.
if target_status == 'new' or target_status == 'pending' then
  redis.call('HSET', KEYS[7], 'status', 'dispatched')
end
redis.call('HSETNX', KEYS[7], 'dispatched_ms', now)
redis.call('ZREM', KEYS[8], ref)
return {'claimed', table.concat(picked, ','), table.concat(picked_taskings, ','),
  table.concat(froms, ',')}
