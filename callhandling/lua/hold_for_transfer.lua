-- Hold a new incident for hand-over to another force: into the area's transfer queue, audited.
-- Queued on the batch that creates the incident, after the creation: it acts only on an
-- incident that batch created in status 'transfer' (a replayed call's incident has another ref).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] transfer zset       cad:{area}:transfer
-- KEYS[3] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor
-- returns 1 held, 0 nothing to hold (no such incident, or not in status 'transfer')
local ref = ARGV[1]
local fields = redis.call('HMGET', KEYS[1], 'status', 'received_ms', 'transfer_force',
  'transfer_basis')
if fields[1] ~= 'transfer' then
  return 0
end
redis.call('ZADD', KEYS[2], fields[2], ref)
redis.call('XADD', KEYS[3], '*', 'type', 'incident_held_for_transfer', 'ref', ref,
  'force', fields[3] or '', 'basis', fields[4] or '', 'actor', ARGV[3], 'ts_ms', ARGV[2])
return 1
