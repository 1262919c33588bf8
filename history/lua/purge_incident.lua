-- Remove an archived incident from Redis, if it is still as it was archived: final, closed at
-- the same time (a reopened or changed incident stays, and is archived again later).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] closed_ms as archived, ARGV[3] now (ms), ARGV[4..] the final statuses
-- returns {'purged', ''}
--         {'missing', ''}   already gone: nothing changed
--         {'changed', why}  not as archived: nothing changed
local fields = redis.call('HMGET', KEYS[1], 'status', 'closed_ms')
local status, closed = fields[1], fields[2]
if not status then
  return {'missing', ''}
end
local final = false
for i = 4, #ARGV do
  if ARGV[i] == status then final = true end
end
if not final then
  return {'changed', 'status ' .. status}
end
if closed ~= ARGV[2] then
  return {'changed', 'closed_ms ' .. tostring(closed)}
end
redis.call('DEL', KEYS[1], KEYS[2])
-- Kept in the stream too: the chronology ends with where the rest of it is.
redis.call('XADD', KEYS[3], '*', 'type', 'incident_archived', 'ref', ARGV[1],
  'status', status, 'actor', 'archiver', 'ts_ms', ARGV[3])
return {'purged', ''}
