-- Cross-BCU dispatch, compensation, in the LENDING area's slot: give back units that step 1
-- (lend_units) committed to a foreign incident when step 2 (attach_borrowed) failed. A unit is
-- released only while it is still committed to that incident under that tasking.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[5] unit since hash     cad:{area}:unit:since
-- KEYS[6] unit by hash        cad:{area}:unit:by
-- KEYS[7] positions geo set   cad:{area}:positions
-- KEYS[8] audit stream        cad:{area}:audit
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] reason (audited),
-- ARGV[5] N units, then N pairs: callsign, the tasking id step 1 recorded
-- returns the callsigns released (comma separated; '' when none still needed it)
local ref, now, actor, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local released = {}
for i = 1, tonumber(ARGV[5]) do
  local callsign, tasking = ARGV[4 + i * 2], ARGV[5 + i * 2]
  local still = redis.call('HGET', KEYS[3], callsign) == ref
  if still and redis.call('HGET', KEYS[4], callsign) == tasking then
    redis.call('HSET', KEYS[2], callsign, 'available')
    redis.call('HDEL', KEYS[3], callsign)
    redis.call('HSET', KEYS[5], callsign, now)
    redis.call('HSET', KEYS[6], callsign, actor)
    local pos = redis.call('GEOPOS', KEYS[7], callsign)[1]
    if pos then
      redis.call('GEOADD', KEYS[1], pos[1], pos[2], callsign)
    end
    redis.call('XADD', KEYS[8], '*', 'type', 'unit_loan_returned', 'ref', ref,
      'callsign', callsign, 'tasking_id', tasking, 'reason', reason, 'actor', actor, 'ts_ms', now)
    released[#released + 1] = callsign
  end
end
return table.concat(released, ',')
