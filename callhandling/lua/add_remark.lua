-- A remark on an incident's log: an audit entry of its own (kind `remark`), so that the
-- chronology, the live map's feed and the archiver all see it. An archived incident (its hash
-- gone from Redis, its record in the history store) gets the entry all the same: the archiver
-- copies it to the history store, where its chronology is read.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] text, ARGV[3] now (ms), ARGV[4] actor,
-- ARGV[5] 'live' (the hash must be here) or 'archived' (it must not be)
-- returns {'ok', the entry's stream id}
--         {'missing', ''}   live: no such incident here (gone, or moved): nothing written
--         {'live', ''}      archived: the incident is in Redis after all: nothing written
local here = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[5] == 'archived' then
  if here then return {'live', ''} end
elseif not here then
  return {'missing', ''}
end
local entry = redis.call('XADD', KEYS[2], '*', 'type', 'remark', 'ref', ARGV[1], 'text', ARGV[2],
  'actor', ARGV[4], 'ts_ms', ARGV[3])
return {'ok', entry}
