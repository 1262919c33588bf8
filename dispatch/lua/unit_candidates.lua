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
local names, dists = {}, {}
for i, hit in ipairs(hits) do
  names[i], dists[i] = hit[1], hit[2]
end
return unit_rows({KEYS[2], KEYS[3], KEYS[4], KEYS[5]}, names, dists)
