-- Claim the nearest available unit for an incident, or queue the incident: all or nothing.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[5] incident hash       cad:{area}:incident:{ref}
-- KEYS[6] pending zset        cad:{area}:pending
-- KEYS[7] audit stream        cad:{area}:audit
-- ARGV[1] lon, ARGV[2] lat, ARGV[3] search radii in metres, ascending, comma separated
-- ARGV[4] ref, ARGV[5] tasking id, ARGV[6] now (ms), ARGV[7] actor, ARGV[8] pending score
-- returns {'claimed', callsign, distance_m, tasking id}  a unit was claimed now
--         {'already', callsign, '', tasking id}  the incident already has a unit (a replay: no change)
--         {'queued', '', '', ''}                 no unit available: the incident waits in the queue
--         {'missing', '', '', ''}                no such incident
local status = redis.call('HGET', KEYS[5], 'status')
if not status then
  return {'missing', '', '', ''}
end
local current_unit = redis.call('HGET', KEYS[5], 'unit')
if current_unit and current_unit ~= '' then
  return {'already', current_unit, '', redis.call('HGET', KEYS[5], 'tasking_id') or ''}
end
local ref, now = ARGV[4], ARGV[6]
for radius in string.gmatch(ARGV[3], '[^,]+') do
  -- GEOSEARCH cost grows with the members inside the radius: a small circle first, then wider.
  local found = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
    'BYRADIUS', radius, 'm', 'ASC', 'COUNT', 16, 'WITHDIST')
  for _, hit in ipairs(found) do
    local callsign, distance = hit[1], hit[2]
    if redis.call('HGET', KEYS[2], callsign) == 'available' then
      redis.call('ZREM', KEYS[1], callsign)
      redis.call('HSET', KEYS[2], callsign, 'assigned')
      redis.call('HSET', KEYS[3], callsign, ref)
      redis.call('HSET', KEYS[4], callsign, ARGV[5])
      redis.call('HSET', KEYS[5], 'status', 'dispatched', 'unit', callsign,
        'tasking_id', ARGV[5], 'dispatched_ms', now)
      redis.call('ZREM', KEYS[6], ref)
      redis.call('XADD', KEYS[7], '*', 'type', 'unit_assigned', 'ref', ref, 'callsign', callsign,
        'tasking_id', ARGV[5], 'distance_m', distance, 'actor', ARGV[7], 'ts_ms', now)
      return {'claimed', callsign, distance, ARGV[5]}
    end
    -- A unit in the available set whose status says otherwise is stale there: drop it.
    redis.call('ZREM', KEYS[1], callsign)
  end
end
if status ~= 'pending' then
  redis.call('HSET', KEYS[5], 'status', 'pending')
  redis.call('ZADD', KEYS[6], ARGV[8], ref)
  redis.call('XADD', KEYS[7], '*', 'type', 'incident_queued', 'ref', ref, 'actor', ARGV[7],
    'ts_ms', now)
end
return {'queued', '', '', ''}
