-- Move a call to another open incident of the area (a handler's link); the incident it leaves,
-- if that was its only call and nothing was sent to it, is cancelled as a duplicate.
-- KEYS[1] call hash             cad:{area}:call:{call_id}
-- KEYS[2] target incident hash  cad:{area}:incident:{target ref}
-- KEYS[3] target calls zset     cad:{area}:incident:{target ref}:calls
-- KEYS[4] source incident hash  cad:{area}:incident:{source ref}
-- KEYS[5] source calls zset     cad:{area}:incident:{source ref}:calls
-- KEYS[6] pending zset          cad:{area}:pending
-- KEYS[7] open incidents geo    cad:{area}:open
-- KEYS[8] audit stream          cad:{area}:audit
-- ARGV[1] call id, ARGV[2] target ref, ARGV[3] source ref (as the caller read it),
-- ARGV[4] now (ms), ARGV[5] actor
-- returns {'ok', 'moved' | 'moved_and_cancelled' | 'already'}
--         {'rejected', reason}
--         {'missing', reason}   the target or the source incident does not exist: nothing
--                               changed (no incident hash is created)
-- From the prelude: OPEN.
local call_id, target, source = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', KEYS[1], 'incident_ref')
if not current then
  return {'rejected', 'call_id: no call ' .. call_id}
end
if current == target then
  return {'ok', 'already'}
end
if current ~= source then
  return {'rejected', 'call_id: the call moved meanwhile; read it again'}
end
local target_status = redis.call('HGET', KEYS[2], 'status')
if not target_status then
  return {'missing', 'ref: no incident ' .. target}
end
if redis.call('EXISTS', KEYS[4]) == 0 then
  return {'missing', 'call_id: its incident ' .. source .. ' does not exist'}
end
if not OPEN[target_status] then
  return {'rejected', 'ref: the incident is not open'}
end
local calls_left = redis.call('ZCARD', KEYS[5]) - 1
local units_left = redis.call('HGET', KEYS[4], 'units') or ''
if calls_left == 0 and units_left ~= '' then
  return {'rejected', 'call_id: its incident ' .. source .. ' has units; close that first'}
end
redis.call('ZREM', KEYS[5], call_id)
redis.call('HINCRBY', KEYS[4], 'call_count', -1)
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'received_ms') or ARGV[4], call_id)
redis.call('HINCRBY', KEYS[2], 'call_count', 1)
redis.call('HSET', KEYS[1], 'incident_ref', target, 'linked', 'linked_by_handler')
redis.call('XADD', KEYS[8], '*', 'type', 'call_linked', 'ref', target, 'call_id', call_id,
  'from_ref', source, 'actor', ARGV[5], 'ts_ms', ARGV[4])
if calls_left > 0 then
  return {'ok', 'moved'}
end
redis.call('HSET', KEYS[4], 'status', 'cancelled', 'close_code', 'duplicate',
  'close_note', 'duplicate of ' .. target, 'closed_ms', ARGV[4])
redis.call('ZREM', KEYS[6], source)
redis.call('ZREM', KEYS[7], source)
redis.call('XADD', KEYS[8], '*', 'type', 'incident_cancelled', 'ref', source, 'code', 'duplicate',
  'note', 'duplicate of ' .. target, 'actor', ARGV[5], 'ts_ms', ARGV[4])
return {'ok', 'moved_and_cancelled'}
