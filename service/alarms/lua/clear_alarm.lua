-- Clear an alarm whose condition has ended (raised or acknowledged alike); it is kept for the
-- retention, then expires.
-- KEYS[1] the alarm hash   cad:{alarms}:alarm:{id}
-- KEYS[2] the alarm audit  cad:{alarms}:audit
-- ARGV[1] alarm id, ARGV[2] now (ms), ARGV[3] retention (ms), ARGV[4] the audit stream's
-- approximate cap
-- returns the alarm's hash (name, value ...) when it was cleared now; empty when it was not
--         active (cleared already, or gone): nothing changed
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'raised' and state ~= 'acknowledged' then
  return {}
end
redis.call('HSET', KEYS[1], 'state', 'cleared', 'cleared_ms', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'type', 'alarm_cleared',
  'alarm_id', ARGV[1], 'actor', 'auto:alarms', 'ts_ms', ARGV[2])
return redis.call('HGETALL', KEYS[1])
