-- Remove an archived incident from Redis, if it is still exactly as it was archived: final, and
-- its hash unchanged since it was copied (a result amended, a remark added, a reopening since:
-- it stays, and is archived again later).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] the hash's digest as archived (history/rows.py `hash_digest`),
-- ARGV[3] now (ms), ARGV[4..] the final statuses
-- returns {'purged', ''}
--         {'missing', ''}   already gone: nothing changed
--         {'changed', why}  not as archived: nothing changed
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then
  return {'missing', ''}
end
local fields, names = {}, {}
for i = 1, #flat, 2 do
  fields[flat[i]] = flat[i + 1]
  names[#names + 1] = flat[i]
end
local status = fields['status']
local final = false
for i = 4, #ARGV do
  if ARGV[i] == status then final = true end
end
if not final then
  return {'changed', 'status ' .. tostring(status)}
end
-- The digest as history/rows.py makes it: `name=value` lines, by name.
table.sort(names)
local lines = {}
for i, name in ipairs(names) do
  lines[i] = name .. '=' .. fields[name]
end
if redis.sha1hex(table.concat(lines, '\n')) ~= ARGV[2] then
  return {'changed', 'changed since it was archived'}
end
redis.call('DEL', KEYS[1], KEYS[2])
-- Kept in the stream too: the chronology ends with where the rest of it is.
redis.call('XADD', KEYS[3], '*', 'type', 'incident_archived', 'ref', ARGV[1],
  'status', status, 'actor', 'archiver', 'ts_ms', ARGV[3])
return {'purged', ''}
