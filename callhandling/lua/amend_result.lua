-- A supervisor amends a closed incident's result within the amendment window, saying why. An
-- archived incident (its hash gone from Redis) is judged by its record in the history store,
-- given in ARGV[9..11]; only the audit entry is written, and the archiver applies it there.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] the new result code, ARGV[3] its category, ARGV[4] reason,
-- ARGV[5] now (ms), ARGV[6] actor, ARGV[7] the earliest closing time (ms) still amendable,
-- ARGV[8] 'live' (the hash must be here) or 'archived' (it must not be); archived only:
-- ARGV[9] its status, ARGV[10] its closing time (ms), ARGV[11] its result code
-- returns {'ok', previous code}
--         {'rejected', reason}
--         {'missing', ''}   live: no such incident: nothing changed (no hash is created)
--         {'live', ''}      archived: the incident is in Redis after all: nothing changed
local archived = ARGV[8] == 'archived'
local status, closed_ms, previous
if archived then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return {'live', ''}
  end
  status, closed_ms, previous = ARGV[9], tonumber(ARGV[10]), ARGV[11]
else
  status = redis.call('HGET', KEYS[1], 'status')
  if not status then
    return {'missing', ''}
  end
  closed_ms = tonumber(redis.call('HGET', KEYS[1], 'closed_ms') or '0')
  previous = redis.call('HGET', KEYS[1], 'close_code') or ''
end
if status ~= 'closed' then
  return {'rejected', 'a ' .. status .. ' incident has no result to amend'}
end
if closed_ms < tonumber(ARGV[7]) then
  return {'rejected', 'closed at ' .. closed_ms .. ' ms, before the amendment window (from '
    .. ARGV[7] .. ' ms)'}
end
if previous == ARGV[2] then
  return {'rejected', 'the result is ' .. previous .. ' already'}
end
if not archived then
  redis.call('HSET', KEYS[1], 'close_code', ARGV[2], 'result_amended_ms', ARGV[5])
end
redis.call('XADD', KEYS[2], '*', 'type', 'result_amended', 'ref', ARGV[1], 'previous', previous,
  'code', ARGV[2], 'category', ARGV[3], 'reason', ARGV[4], 'actor', ARGV[6], 'ts_ms', ARGV[5])
return {'ok', previous}
