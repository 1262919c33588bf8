-- Cross-BCU dispatch, step 2 of 2, in the BORROWING area's slot: attach units that other areas
-- lent (step 1, lend_units) to a waiting incident of this area, all at once. If this refuses,
-- the caller gives the units back (return_lent in each lending area).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] pending zset        cad:{area}:pending
-- KEYS[3] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor,
-- ARGV[4] N units, then N triples: callsign, tasking id, lending area
-- Sets on the incident: status 'dispatched', units, taskings, dispatched_ms, 'borrowed' (the
-- lent units still committed to it) and 'lent_from:{callsign}' = the lending area, per unit.
-- returns {'attached', callsigns, tasking ids}   (comma separated)
--         {'rejected', reason, ''}              nothing was changed
--         {'missing', '', ''}                   no such incident
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
if (redis.call('HGET', KEYS[1], 'units') or '') ~= '' then
  return {'rejected', 'the incident has its units already', ''}
end
if status ~= 'pending' and status ~= 'new' then
  return {'rejected', 'the incident is ' .. status, ''}
end
local ref, now, actor = ARGV[1], ARGV[2], ARGV[3]
local units, taskings = {}, {}
for i = 1, tonumber(ARGV[4]) do
  local callsign, tasking, from_area = ARGV[2 + i * 3], ARGV[3 + i * 3], ARGV[4 + i * 3]
  units[i], taskings[i] = callsign, tasking
  redis.call('HSET', KEYS[1], 'lent_from:' .. callsign, from_area)
  redis.call('XADD', KEYS[3], '*', 'type', 'unit_borrowed', 'ref', ref, 'callsign', callsign,
    'tasking_id', tasking, 'from_area', from_area, 'actor', actor, 'ts_ms', now)
end
local listed = table.concat(units, ',')
redis.call('HSET', KEYS[1], 'status', 'dispatched', 'units', listed, 'borrowed', listed,
  'taskings', table.concat(taskings, ','), 'dispatched_ms', now)
redis.call('ZREM', KEYS[2], ref)
return {'attached', listed, table.concat(taskings, ',')}
