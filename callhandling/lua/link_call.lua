-- Link a call to an open incident: never a second incident, never a second dispatch.
-- KEYS[1] call hash           cad:{area}:call:{call_id}
-- KEYS[2] incident hash       cad:{area}:incident:{ref}
-- KEYS[3] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[4] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] score, ARGV[5] reasons,
-- ARGV[6] received (ms), ARGV[7] hashed caller number ('' if none), ARGV[8] how long the call
-- record, which holds the caller's data, is kept (s), ARGV[9] the call record's fields, a JSON
-- object of strings
-- returns {1, ref, fields}  linked; fields: the incident's hash after it (HGETALL: name, value ...)
--         {0, ref}          the call was already recorded (a replay): its incident
--         {-1, status}      the incident is not open (closed meanwhile): nothing changed
-- From the prelude: OPEN, record_call.
local existing = redis.call('HGET', KEYS[1], 'incident_ref')
if existing then
  return {0, existing}
end
local status = redis.call('HGET', KEYS[2], 'status') or 'missing'
if not OPEN[status] then
  return {-1, status}
end
local ref = ARGV[1]
record_call(KEYS[1], {'incident_ref', ref, 'linked', 'linked', 'link_score', ARGV[4]}, ARGV[9],
  ARGV[8])
local call_id = redis.call('HGET', KEYS[1], 'call_id')
redis.call('ZADD', KEYS[3], ARGV[6], call_id)
redis.call('HINCRBY', KEYS[2], 'call_count', 1)
if ARGV[7] ~= '' then
  local known = redis.call('HGET', KEYS[2], 'cli_hashes') or ''
  if not string.find(',' .. known .. ',', ',' .. ARGV[7] .. ',', 1, true) then
    redis.call('HSET', KEYS[2], 'cli_hashes', known == '' and ARGV[7] or known .. ',' .. ARGV[7])
  end
end
redis.call('XADD', KEYS[4], '*', 'type', 'call_linked', 'ref', ref, 'call_id', call_id,
  'score', ARGV[4], 'reasons', ARGV[5], 'actor', ARGV[3], 'ts_ms', ARGV[2])
return {1, ref, redis.call('HGETALL', KEYS[2])}
