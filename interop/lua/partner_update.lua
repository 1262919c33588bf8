-- A partner agency's update of one of our incidents (interop/partner_updates.py): its status
-- and the units it has attending, applied only when newer than the last one applied (a
-- redelivered or older EIDO changes nothing), audited as `partner_update`.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] partner id, ARGV[3] its reference, ARGV[4] its status ('' if none),
-- ARGV[5] its units (comma-separated), ARGV[6] the update's stamp (ms), ARGV[7] actor,
-- ARGV[8] now (ms)
-- returns {'applied', ''} | {'stale', ''} (as new or newer applied already) | {'missing', ''}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local last = tonumber(redis.call('HGET', KEYS[1], 'partner_updated_ms') or '')
if last ~= nil and last >= tonumber(ARGV[6]) then return {'stale', ''} end
redis.call('HSET', KEYS[1], 'partner_agency', ARGV[2], 'partner_reference', ARGV[3],
  'partner_status', ARGV[4], 'partner_units', ARGV[5], 'partner_updated_ms', ARGV[6])
redis.call('XADD', KEYS[2], '*', 'type', 'partner_update', 'ref', ARGV[1], 'partner', ARGV[2],
  'status', ARGV[4], 'units', ARGV[5], 'actor', ARGV[7], 'ts_ms', ARGV[8])
return {'applied', ''}
