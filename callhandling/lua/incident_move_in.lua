-- Step 2 of moving an incident to another dispatch area, in the area it joins: its copy, not yet
-- in any of this area's lists (step 4 adds it, once the area it leaves has let it go).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4..] call hashes       cad:{area}:call:{call_id}, in the order of the calls in ARGV[3]
-- ARGV[1] ref, ARGV[2] the incident's fields (JSON object of strings, `area` already this one's;
-- `borrowed` lists the units committed from other areas, each with `lent_from:{callsign}`),
-- ARGV[3] its calls (JSON list of {id, score, fields, pttl_ms})
-- returns {'ok', ''}
--         {'exists', status}  an incident of that ref is here already (not a copy being moved)
-- A unit of this area lent to the incident is this area's own again: it leaves `borrowed`.
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'moving') ~= '1' then
  return {'exists', redis.call('HGET', KEYS[1], 'status') or ''}
end
local ref = ARGV[1]
redis.call('DEL', KEYS[1], KEYS[2])
local fields = cjson.decode(ARGV[2])
local borrowed = {}
for callsign in string.gmatch(fields['borrowed'] or '', '[^,]+') do
  if redis.call('HGET', KEYS[3], callsign) == ref then
    fields['lent_from:' .. callsign] = nil
  else
    borrowed[#borrowed + 1] = callsign
  end
end
fields['borrowed'] = table.concat(borrowed, ',')
fields['moving'] = '1'
local flat = {}
for name, value in pairs(fields) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
redis.call('HSET', KEYS[1], unpack(flat))
for i, call in ipairs(cjson.decode(ARGV[3])) do
  local key = KEYS[i + 3]
  local call_fields = {}
  for name, value in pairs(call.fields) do
    call_fields[#call_fields + 1] = name
    call_fields[#call_fields + 1] = value
  end
  redis.call('DEL', key)
  if #call_fields > 0 then
    redis.call('HSET', key, unpack(call_fields))
    -- The caller data keeps the expiry it had: a move never lengthens its life.
    if tonumber(call.pttl_ms) > 0 then redis.call('PEXPIRE', key, call.pttl_ms) end
  end
  redis.call('ZADD', KEYS[2], call.score, call.id)
end
return {'ok', ''}
