-- Correct an incident's type, saying why. The grade is never changed here: the new type's
-- default grade is recorded as a suggestion (audited beside the grade as it stands), and a
-- call handler re-grades if they agree.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] the new type, ARGV[3] its default grade, ARGV[4] reason, ARGV[5] now (ms),
-- ARGV[6] actor
-- returns {'ok', old type, grade as it stands}
--         {'rejected', status, reason}
--         {'missing', '', ''}   no such incident: nothing changed (no hash is created)
-- From the prelude: FINAL.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
if FINAL[status] then
  return {'rejected', status, 'a ' .. status .. ' incident cannot be corrected'}
end
local old = redis.call('HGET', KEYS[1], 'incident_type') or ''
if old == ARGV[2] then
  return {'rejected', status, 'the type is ' .. old .. ' already'}
end
local grade = redis.call('HGET', KEYS[1], 'grade') or ''
redis.call('HSET', KEYS[1], 'incident_type', ARGV[2], 'type_grade_suggested', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'type', 'type_corrected', 'ref', ARGV[1], 'old_type', old,
  'incident_type', ARGV[2], 'grade', grade, 'suggested', ARGV[3], 'reason', ARGV[4],
  'actor', ARGV[6], 'ts_ms', ARGV[5])
return {'ok', old, grade}
