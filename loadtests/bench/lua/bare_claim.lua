-- The bench's bare claim: the least a dispatch claim can do, as the baseline it is compared with.
-- Take the nearest member of an available geo set (a small circle first, then wider), mark it
-- assigned; nothing else (no incident, no plan, no audit).
-- KEYS[1] available geo set   bench:{area}:available
-- KEYS[2] unit status hash    bench:{area}:status
-- ARGV[1] lon, ARGV[2] lat, ARGV[3] search radii in metres, ascending, comma separated
-- ARGV[4] the incident id the unit is assigned to
-- returns the callsign claimed, or false when no unit is available within the widest radius
for radius in string.gmatch(ARGV[3], '[^,]+') do
  local found = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
    'BYRADIUS', radius, 'm', 'ASC', 'COUNT', 1)
  if #found > 0 then
    local callsign = found[1]
    redis.call('ZREM', KEYS[1], callsign)
    redis.call('HSET', KEYS[2], callsign, ARGV[4])
    return callsign
  end
end
return false
