-- A partner agency's EIDO applied to one of our incidents (interop/partner_updates.py), all at
-- once: its status and the units it has attending, only when newer than the last applied (a
-- redelivered or older EIDO changes nothing), audited as `partner_update`; and each of its notes
-- not yet on the incident's log added as a remark, its id remembered on the incident (so that
-- the record moves with it), so that no note is lost or doubled whatever is redelivered.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] partner id, ARGV[3] its reference, ARGV[4] its status ('' if none),
-- ARGV[5] its units (comma-separated), ARGV[6] the update's stamp (ms), ARGV[7] actor,
-- ARGV[8] now (ms), ARGV[9] the partner's name (a remark's prefix),
-- ARGV[10], ARGV[11], ...: each note's id and its text
-- returns {'applied' | 'stale' (as new or newer applied already) | 'missing', notes added}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', 0} end
local outcome = 'stale'
local last = tonumber(redis.call('HGET', KEYS[1], 'partner_updated_ms') or '')
if last == nil or last < tonumber(ARGV[6]) then
  redis.call('HSET', KEYS[1], 'partner_agency', ARGV[2], 'partner_reference', ARGV[3],
    'partner_status', ARGV[4], 'partner_units', ARGV[5], 'partner_updated_ms', ARGV[6])
  redis.call('XADD', KEYS[2], '*', 'type', 'partner_update', 'ref', ARGV[1], 'partner', ARGV[2],
    'status', ARGV[4], 'units', ARGV[5], 'actor', ARGV[7], 'ts_ms', ARGV[8])
  outcome = 'applied'
end
local seen = cjson.decode(redis.call('HGET', KEYS[1], 'partner_notes') or '[]')
local known = {}
for _, id in ipairs(seen) do known[id] = true end
local added = 0
for i = 10, #ARGV, 2 do
  if not known[ARGV[i]] then
    redis.call('XADD', KEYS[2], '*', 'type', 'remark', 'ref', ARGV[1],
      'text', ARGV[9] .. ': ' .. ARGV[i + 1], 'actor', ARGV[7], 'ts_ms', ARGV[8])
    known[ARGV[i]] = true
    seen[#seen + 1] = ARGV[i]
    added = added + 1
  end
end
if added > 0 then redis.call('HSET', KEYS[1], 'partner_notes', cjson.encode(seen)) end
return {outcome, added}
