-- Close, cancel or refer an incident, or queue a new one, if its life cycle allows it now.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] pending zset        cad:{area}:pending
-- KEYS[4] open incidents geo  cad:{area}:open
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] awaiting-result zset cad:{area}:awaiting-result
-- KEYS[7] transfer zset       cad:{area}:transfer
-- ARGV[1] ref, ARGV[2] target status, ARGV[3] now (ms), ARGV[4] actor, ARGV[5] result code,
-- ARGV[6] note, ARGV[7] pending score (used when the target is 'pending'), ARGV[8] the result
-- code's category, ARGV[9..] the statuses the target may be entered from
-- returns {'ok', previous status}
--         {'rejected', current status, reason}
--         {'missing', '', ''}   no such incident: nothing changed (no hash is created)
-- From the prelude: may_leave, still_committed.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
local target = ARGV[2]
if not may_leave(status, 9) then
  return {'rejected', status, 'illegal transition ' .. status .. ' -> ' .. target}
end
local ref = ARGV[1]
if target ~= 'pending' then
  local committed = still_committed(KEYS[1], KEYS[2], ref)
  if committed ~= '' then
    return {'rejected', status, 'units still committed: ' .. committed}
  end
end
redis.call('HSET', KEYS[1], 'status', target, 'status_ms', ARGV[3])
if target == 'pending' then
  redis.call('ZADD', KEYS[3], ARGV[7], ref)
else
  redis.call('HSET', KEYS[1], 'close_code', ARGV[5], 'close_note', ARGV[6], 'closed_ms', ARGV[3])
  redis.call('ZREM', KEYS[3], ref)
  redis.call('ZREM', KEYS[4], ref)
  redis.call('ZREM', KEYS[6], ref)
  redis.call('ZREM', KEYS[7], ref)
end
redis.call('XADD', KEYS[5], '*', 'type', 'incident_' .. target, 'ref', ref, 'previous', status,
  'code', ARGV[5], 'category', ARGV[8], 'note', ARGV[6], 'actor', ARGV[4], 'ts_ms', ARGV[3])
return {'ok', status, ''}
