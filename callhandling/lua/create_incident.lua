-- Create an incident for a call, once, unless an incident opened nearby since the caller looked
-- for duplicates: then the caller must look again (optimistic concurrency across replicas).
-- KEYS[1] call hash           cad:{area}:call:{call_id}
-- KEYS[2] incident hash       cad:{area}:incident:{ref}
-- KEYS[3] audit stream        cad:{area}:audit
-- KEYS[4] open incidents geo  cad:{area}:open
-- KEYS[5] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[6] the fence of the call's map cell, cad:{area}:fence:{cell}
-- KEYS[7..] the fences of the cells around it (bumped with KEYS[6] when the incident opens)
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] the fence value the caller read ('' to
-- create regardless: the caller's last resort when incidents keep opening around it),
-- ARGV[5] lon, ARGV[6] lat, ARGV[7] received (ms), ARGV[8] the incident's fields and ARGV[9]
-- the call record's, each a JSON object of strings (two arguments, not dozens, to pack and send),
-- ARGV[10] how long the call record, which holds the caller's data, is kept (s)
-- returns {1, ref, fields}  created; fields: the new incident's hash (HGETALL: name, value ...)
--         {0, ref}          the call was already recorded (a replay): that incident
--         {2, ''}           an incident opened nearby meanwhile: search for duplicates again
-- From the prelude: record_call.
local existing = redis.call('HGET', KEYS[1], 'incident_ref')
if existing then
  return {0, existing}
end
if ARGV[4] ~= '' and (redis.call('GET', KEYS[6]) or '0') ~= ARGV[4] then
  return {2, ''}
end
local ref, now = ARGV[1], ARGV[2]
local incident = {'ref', ref, 'created_ms', now, 'call_count', 1}
for name, value in pairs(cjson.decode(ARGV[8])) do
  incident[#incident + 1] = name
  incident[#incident + 1] = value
end
redis.call('HSET', KEYS[2], unpack(incident))
record_call(KEYS[1], {'incident_ref', ref, 'linked', 'created'}, ARGV[9], ARGV[10])
redis.call('ZADD', KEYS[5], ARGV[7], redis.call('HGET', KEYS[1], 'call_id'))
redis.call('GEOADD', KEYS[4], ARGV[5], ARGV[6], ref)
for i = 6, #KEYS do
  redis.call('INCR', KEYS[i])
end
local entry = redis.call('XADD', KEYS[3], '*', 'type', 'incident_created', 'ref', ref,
  'call_id', redis.call('HGET', KEYS[1], 'call_id'), 'actor', ARGV[3], 'ts_ms', now)
redis.call('HSET', KEYS[2], 'audit_from', entry)
return {1, ref, redis.call('HGETALL', KEYS[2])}
