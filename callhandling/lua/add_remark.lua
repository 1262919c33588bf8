-- A remark on an incident's log: an audit entry of its own (kind `remark`), so that the
-- chronology, the live map's feed and the archiver all see it.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] text, ARGV[3] now (ms), ARGV[4] actor
-- returns {'ok', the entry's stream id}
--         {'missing', ''}   no such incident here (gone, or moved): nothing written
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local entry = redis.call('XADD', KEYS[2], '*', 'type', 'remark', 'ref', ARGV[1], 'text', ARGV[2],
  'actor', ARGV[4], 'ts_ms', ARGV[3])
return {'ok', entry}
