-- Step 4 of moving an incident to another dispatch area, in the area it joined: its copy joins
-- this area's lists as it was in the other's (the queue with its place, the result queue, the
-- open set at its new place), the creation fences around it are bumped, and the move is audited.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] pending zset        cad:{area}:pending
-- KEYS[3] awaiting-result zset cad:{area}:awaiting-result
-- KEYS[4] open incidents geo  cad:{area}:open
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6..] the creation fences of the new place's map cell and those around it
-- ARGV[1] ref, ARGV[2] pending score ('' for none), ARGV[3] awaiting score ('' for none),
-- ARGV[4] the area it came from, ARGV[5] reason, ARGV[6] now (ms), ARGV[7] actor,
-- ARGV[8] old lon, ARGV[9] old lat, ARGV[10] new lon, ARGV[11] new lat
-- returns {'ok', status} | {'missing', ''}
-- From the prelude: OPEN.
local ref = ARGV[1]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', ''}
end
redis.call('HDEL', KEYS[1], 'moving')
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ref) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], ref) end
if OPEN[status] then redis.call('GEOADD', KEYS[4], ARGV[10], ARGV[11], ref) end
for i = 6, #KEYS do
  redis.call('INCR', KEYS[i])
end
local entry = redis.call('XADD', KEYS[5], '*', 'type', 'incident_moved_in', 'ref', ref,
  'from_area', ARGV[4], 'old_lon', ARGV[8], 'old_lat', ARGV[9], 'lon', ARGV[10],
  'lat', ARGV[11], 'reason', ARGV[5], 'actor', ARGV[7], 'ts_ms', ARGV[6])
redis.call('HSET', KEYS[1], 'audit_from', entry)
return {'ok', status}
