-- A supervisor acknowledges an alarm: it stays listed until its condition ends.
-- KEYS[1] the alarm hash   cad:{alarms}:alarm:{id}
-- KEYS[2] the alarm audit  cad:{alarms}:audit
-- ARGV[1] alarm id, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] note ('' for none),
-- ARGV[5] the audit stream's approximate cap
-- returns {'acknowledged', name, value ...} acknowledged now
--         {'already', name, value ...}      acknowledged before: nothing changed
--         {'cleared', name, value ...}      its condition ended before: nothing changed
--         {'missing'}                       no such alarm (never raised, or expired)
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return {'missing'}
end
if state ~= 'raised' then
  local outcome = state == 'cleared' and 'cleared' or 'already'
  return {outcome, unpack(redis.call('HGETALL', KEYS[1]))}
end
redis.call('HSET', KEYS[1], 'state', 'acknowledged', 'acknowledged_ms', ARGV[2],
  'acknowledged_by', ARGV[3], 'note', ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', 'alarm_acknowledged',
  'alarm_id', ARGV[1], 'actor', ARGV[3], 'note', ARGV[4], 'ts_ms', ARGV[2])
return {'acknowledged', unpack(redis.call('HGETALL', KEYS[1]))}
