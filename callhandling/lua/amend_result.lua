-- A supervisor amends a closed incident's result within the amendment window, saying why.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] the new result code, ARGV[3] its category, ARGV[4] reason,
-- ARGV[5] now (ms), ARGV[6] actor, ARGV[7] the earliest closing time (ms) still amendable
-- returns {'ok', previous code}
--         {'rejected', reason}
--         {'missing', ''}   no such incident: nothing changed (no hash is created)
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', ''}
end
if status ~= 'closed' then
  return {'rejected', 'a ' .. status .. ' incident has no result to amend'}
end
local closed_ms = tonumber(redis.call('HGET', KEYS[1], 'closed_ms') or '0')
if closed_ms < tonumber(ARGV[7]) then
  return {'rejected', 'closed at ' .. closed_ms .. ' ms, before the amendment window (from '
    .. ARGV[7] .. ' ms)'}
end
local previous = redis.call('HGET', KEYS[1], 'close_code') or ''
if previous == ARGV[2] then
  return {'rejected', 'the result is ' .. previous .. ' already'}
end
redis.call('HSET', KEYS[1], 'close_code', ARGV[2], 'result_amended_ms', ARGV[5])
redis.call('XADD', KEYS[2], '*', 'type', 'result_amended', 'ref', ARGV[1], 'previous', previous,
  'code', ARGV[2], 'category', ARGV[3], 'reason', ARGV[4], 'actor', ARGV[6], 'ts_ms', ARGV[5])
return {'ok', previous}
