#!lua flags=no-writes
-- The area's units still `assigned` (tasked, not yet acknowledged) since at or before a cutoff,
-- each with its tasking and incident, in one call: the acknowledgement watch and the resend ask
-- every second, and the status hash of a large fleet read whole into the service cost it far
-- more than scanning it here. Reads only.
-- KEYS[1] unit status hash    cad:{area}:unit:status
-- KEYS[2] unit since hash     cad:{area}:unit:since
-- KEYS[3] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[4] unit incident hash  cad:{area}:unit:incident
-- ARGV[1] cutoff (ms): a unit assigned since after it is not yet due
-- returns a flat list, four entries a due unit: callsign, since (ms; '' where none is held),
--         tasking id, incident ref ('' where Redis holds none); in the hash's order
local statuses = redis.call('HGETALL', KEYS[1])
local cutoff = tonumber(ARGV[1])
local out = {}
for i = 1, #statuses, 2 do
  if statuses[i + 1] == 'assigned' then
    local callsign = statuses[i]
    local since = redis.call('HGET', KEYS[2], callsign)
    -- As `overdue` in dispatch/acks.py: a unit with no start time counts as since 0.
    if (tonumber(since) or 0) <= cutoff then
      out[#out + 1] = callsign
      out[#out + 1] = since or ''
      out[#out + 1] = redis.call('HGET', KEYS[3], callsign) or ''
      out[#out + 1] = redis.call('HGET', KEYS[4], callsign) or ''
    end
  end
end
return out
