-- Raise an alarm unless it is raised already: one alarm per condition however many scanners
-- find it (its id is the kind and subject's), and a cleared one raised again starts afresh.
-- KEYS[1] the alarm hash   cad:{alarms}:alarm:{id}
-- KEYS[2] the index        cad:{alarms}:index
-- KEYS[3] the alarm audit  cad:{alarms}:audit
-- ARGV[1] alarm id, ARGV[2] now (ms), ARGV[3] the audit stream's approximate cap,
-- ARGV[4..] the alarm's own fields, name and value by turns (kind, severity, area ...)
-- returns the alarm's hash (name, value ...) when it was raised now; empty when it was raised or
--         acknowledged already: nothing changed
local id, now = ARGV[1], ARGV[2]
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'raised' or state == 'acknowledged' then
  return {}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'alarm_id', id, 'state', 'raised', 'raised_ms', now,
  unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], now, id)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'alarm_raised',
  'alarm_id', id, 'actor', 'auto:alarms', 'ts_ms', now)
return redis.call('HGETALL', KEYS[1])
