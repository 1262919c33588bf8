-- Step 3 of moving an incident to another dispatch area, in the area it leaves: if it has not
-- changed since step 1, it goes from here (its hash, calls, and every list of this area), and a
-- forwarding key says where it went, so a reader who still finds this area in the ref directory
-- follows it there.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] pending zset        cad:{area}:pending
-- KEYS[5] awaiting-result zset cad:{area}:awaiting-result
-- KEYS[6] open incidents geo  cad:{area}:open
-- KEYS[7] audit stream        cad:{area}:audit
-- KEYS[8] forwarding string   cad:{area}:moved:{ref}
-- KEYS[9..] call hashes       cad:{area}:call:{call_id}
-- ARGV[1] ref, ARGV[2] the area it moves to, ARGV[3] the fingerprint of step 1, ARGV[4] reason,
-- ARGV[5] now (ms), ARGV[6] actor, ARGV[7] how long the forwarding key is kept (s),
-- ARGV[8] old lon, ARGV[9] old lat, ARGV[10] new lon, ARGV[11] new lat
-- returns {'ok'} | {'changed'} (nothing changed here: step 2's copy is to be undone)
-- From the prelude: incident_fingerprint.
local ref = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0
  or incident_fingerprint(KEYS[1], KEYS[2], KEYS[3], ref) ~= ARGV[3] then
  return {'changed'}
end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 9, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('ZREM', KEYS[4], ref)
redis.call('ZREM', KEYS[5], ref)
redis.call('ZREM', KEYS[6], ref)
redis.call('SET', KEYS[8], ARGV[2], 'EX', ARGV[7])
redis.call('XADD', KEYS[7], '*', 'type', 'incident_moved_out', 'ref', ref, 'to_area', ARGV[2],
  'old_lon', ARGV[8], 'old_lat', ARGV[9], 'lon', ARGV[10], 'lat', ARGV[11], 'reason', ARGV[4],
  'actor', ARGV[6], 'ts_ms', ARGV[5])
return {'ok'}
