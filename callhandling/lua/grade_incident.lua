-- Grade or re-grade an open incident; a waiting one moves to its new place in the queue.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] pending zset        cad:{area}:pending
-- KEYS[3] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] grade, ARGV[3] suggested grade, ARGV[4] reason, ARGV[5] actor,
-- ARGV[6] now (ms), ARGV[7] pending score for the new grade, ARGV[8] THRIVE (JSON)
-- returns {'ok', previous grade or '', status}
--         {'rejected', status, reason}
--         {'missing', '', ''}   no such incident: nothing changed (no hash is created)
-- From the prelude: OPEN.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
if not OPEN[status] then
  return {'rejected', status, 'a ' .. status .. ' incident cannot be graded'}
end
local previous = redis.call('HGET', KEYS[1], 'grade') or ''
redis.call('HSET', KEYS[1], 'grade', ARGV[2], 'grade_suggested', ARGV[3], 'grade_reason', ARGV[4],
  'thrive', ARGV[8])
redis.call('ZADD', KEYS[2], 'XX', ARGV[7], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'type', 'incident_graded', 'ref', ARGV[1], 'grade', ARGV[2],
  'previous', previous, 'suggested', ARGV[3], 'reason', ARGV[4], 'actor', ARGV[5],
  'ts_ms', ARGV[6])
return {'ok', previous, status}
