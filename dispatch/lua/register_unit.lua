-- Register a unit or update its registry record, without disturbing a unit already at work.
-- KEYS[1] units hash          cad:{area}:units
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] positions geo set   cad:{area}:positions
-- KEYS[4] available geo set   cad:{area}:available
-- KEYS[5] audit stream        cad:{area}:audit
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- KEYS[8..8+D-1] capability sets the unit no longer has (D = ARGV[7]); then those it has
-- ARGV[1] callsign, ARGV[2] record (JSON), ARGV[3] base lon, ARGV[4] base lat, ARGV[5] now (ms),
-- ARGV[6] actor, ARGV[7] D: how many of the capability keys are to be left
-- returns the unit's status after the call (a new unit starts available at its base)
local callsign = ARGV[1]
local is_new = redis.call('HSET', KEYS[1], callsign, ARGV[2]) == 1
local dropped = tonumber(ARGV[7])
for i = 8, #KEYS do
  if i < 8 + dropped then
    redis.call('SREM', KEYS[i], callsign)
  else
    redis.call('SADD', KEYS[i], callsign)
  end
end
if redis.call('HSETNX', KEYS[2], callsign, 'available') == 1 then
  redis.call('HSET', KEYS[6], callsign, ARGV[5])
  redis.call('HSET', KEYS[7], callsign, ARGV[6])
end
-- A unit that has reported AVL keeps its live position; a new one starts at its base.
redis.call('GEOADD', KEYS[3], 'NX', ARGV[3], ARGV[4], callsign)
local status = redis.call('HGET', KEYS[2], callsign)
if status == 'available' then
  local pos = redis.call('GEOPOS', KEYS[3], callsign)[1]
  redis.call('GEOADD', KEYS[4], pos[1], pos[2], callsign)
end
redis.call('XADD', KEYS[5], '*', 'type', is_new and 'unit_registered' or 'unit_updated',
  'callsign', callsign, 'actor', ARGV[6], 'ts_ms', ARGV[5])
return status
