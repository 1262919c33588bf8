#!lua flags=no-writes
-- The units of an area within a radius, nearest first, each with what a recommendation needs:
-- one round trip instead of a search and then a read of four hashes. Reads only.
-- KEYS[1] positions geo set   cad:{area}:positions
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit fix hash       cad:{area}:unit:fix
-- KEYS[4] units hash          cad:{area}:units (the registry records, JSON)
-- KEYS[5] unit incident hash  cad:{area}:unit:incident
-- ARGV[1] lon, ARGV[2] lat, ARGV[3] radius (m), ARGV[4] at most this many units
-- returns a flat list, six entries a unit: callsign, distance (m), status, last fix (ms),
--         registry record, incident ref ('' where Redis holds none)
local hits = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
  'BYRADIUS', ARGV[3], 'm', 'ASC', 'COUNT', ARGV[4], 'WITHDIST')
local out = {}
for _, hit in ipairs(hits) do
  local name = hit[1]
  out[#out + 1] = name
  out[#out + 1] = hit[2]
  out[#out + 1] = redis.call('HGET', KEYS[2], name) or ''
  out[#out + 1] = redis.call('HGET', KEYS[3], name) or ''
  out[#out + 1] = redis.call('HGET', KEYS[4], name) or ''
  out[#out + 1] = redis.call('HGET', KEYS[5], name) or ''
end
return out
