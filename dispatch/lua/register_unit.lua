-- Register a unit or update its registry record, without disturbing a unit already at work.
-- KEYS[1] units hash          cad:{area}:units
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- ARGV[1] callsign, ARGV[2] record (JSON), ARGV[3] base lon, ARGV[4] base lat, ARGV[5] now (ms),
-- ARGV[6] actor
-- returns the unit's status after the call (a new unit starts available at its base)
local callsign = ARGV[1]
local is_new = redis.call('HSET', KEYS[1], callsign, ARGV[2]) == 1
redis.call('HSETNX', KEYS[2], callsign, 'available')
-- A unit that has reported AVL keeps its live position; a new one starts at its base.
redis.call('GEOADD', KEYS[3], 'NX', ARGV[3], ARGV[4], callsign)
local status = redis.call('HGET', KEYS[2], callsign)
if status == 'available' then
  local pos = redis.call('GEOPOS', KEYS[3], callsign)[1]
  redis.call('GEOADD', KEYS[4], pos[1], pos[2], callsign)
end
if is_new then
  redis.call('XADD', KEYS[5], '*', 'type', 'unit_registered', 'callsign', callsign,
    'actor', ARGV[6], 'ts_ms', ARGV[5])
end
return status
