-- Grade or re-grade an open incident; a waiting one moves to its new place in the queue. One
-- held for another force (status 'transfer') that the new grade lets Met units attend
-- (CAD_ATTEND_OUTSIDE_GRADES) leaves the transfer queue for the pending queue, flagged
-- `met_attends`, its force kept: as it would have, had it come in with that grade.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] pending zset        cad:{area}:pending
-- KEYS[3] audit stream        cad:{area}:audit
-- KEYS[4] transfer zset       cad:{area}:transfer
-- ARGV[1] ref, ARGV[2] grade, ARGV[3] suggested grade, ARGV[4] reason, ARGV[5] actor,
-- ARGV[6] now (ms), ARGV[7] pending score for the new grade, ARGV[8] THRIVE (JSON),
-- ARGV[9] '1' when Met units attend this grade outside the Met's area, else ''
-- returns {'ok', previous grade or '', status (after the grading)}
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
if status == 'transfer' and ARGV[9] == '1' then
  status = 'pending'
  redis.call('HSET', KEYS[1], 'status', status, 'status_ms', ARGV[6], 'met_attends', '1')
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
  redis.call('XADD', KEYS[3], '*', 'type', 'incident_attended_outside', 'ref', ARGV[1],
    'force', redis.call('HGET', KEYS[1], 'transfer_force') or '', 'grade', ARGV[2],
    'actor', ARGV[5], 'ts_ms', ARGV[6])
end
return {'ok', previous, status}
