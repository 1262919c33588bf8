-- Create an incident for a call, once: a replayed call event returns the incident it already made.
-- KEYS[1] call key        cad:{area}:call:{call_id}     string -> incident ref
-- KEYS[2] incident key    cad:{area}:incident:{ref}     hash
-- KEYS[3] audit stream    cad:{area}:audit
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4..] incident fields as name, value pairs
-- returns {1, ref} when created, {0, existing ref} when the call was already an incident
local existing = redis.call('GET', KEYS[1])
if existing then
  return {0, existing}
end
local ref = ARGV[1]
redis.call('SET', KEYS[1], ref)
local fields = {'ref', ref, 'created_ms', ARGV[2]}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('XADD', KEYS[3], '*', 'type', 'incident_created', 'ref', ref, 'actor', ARGV[3],
  'ts_ms', ARGV[2])
return {1, ref}
