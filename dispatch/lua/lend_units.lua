-- Cross-BCU dispatch, step 1 of 2, in the LENDING area's slot: commit available units of this
-- area to an incident of another area, all or none. Step 2 (attach_borrowed) runs in the
-- borrowing area's slot; if it fails the caller undoes this step with return_lent.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[5] unit since hash     cad:{area}:unit:since
-- KEYS[6] unit by hash        cad:{area}:unit:by
-- KEYS[7] audit stream        cad:{area}:audit
-- ARGV[1] borrowing area, ARGV[2] ref (an incident of the borrowing area), ARGV[3] now (ms),
-- ARGV[4] actor, ARGV[5] N units, then N pairs: callsign, tasking id
-- returns {'lent', callsigns, ''}          (comma separated)
--         {'rejected', callsign, reason}   nothing was changed
local to_area, ref, now, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local n = tonumber(ARGV[5])
local seen = {}
for i = 1, n do
  local callsign = ARGV[4 + i * 2]
  if seen[callsign] then
    return {'rejected', callsign, 'named twice'}
  end
  seen[callsign] = true
  local status = redis.call('HGET', KEYS[2], callsign)
  if status ~= 'available' then
    return {'rejected', callsign, 'not available: ' .. (status or 'unknown unit')}
  end
end
local lent = {}
for i = 1, n do
  local callsign, tasking = ARGV[4 + i * 2], ARGV[5 + i * 2]
  redis.call('ZREM', KEYS[1], callsign)
  redis.call('HSET', KEYS[2], callsign, 'assigned')
  redis.call('HSET', KEYS[3], callsign, ref)
  redis.call('HSET', KEYS[4], callsign, tasking)
  redis.call('HSET', KEYS[5], callsign, now)
  redis.call('HSET', KEYS[6], callsign, actor)
  redis.call('XADD', KEYS[7], '*', 'type', 'unit_lent', 'ref', ref, 'callsign', callsign,
    'tasking_id', tasking, 'to_area', to_area, 'actor', actor, 'ts_ms', now)
  lent[#lent + 1] = callsign
end
return {'lent', table.concat(lent, ','), ''}
