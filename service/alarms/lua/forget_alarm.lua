-- Forget an expired alarm's index entry (cleared longer ago than the retention), unless it was
-- raised again meanwhile.
-- KEYS[1] the index       cad:{alarms}:index
-- KEYS[2] the alarm hash  cad:{alarms}:alarm:{id}
-- ARGV[1] alarm id
-- returns 1 when the entry was removed, 0 when the alarm is still kept
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
return redis.call('ZREM', KEYS[1], ARGV[1])
