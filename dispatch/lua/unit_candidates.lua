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
if #hits == 0 then
  return {}
end
local names = {}
for i, hit in ipairs(hits) do
  names[i] = hit[1]
end
-- One HMGET a hash for all the units, not one HGET a unit and hash: each call out of Lua has a
-- cost of its own, and this makes four of them instead of forty-odd.
local columns = {}
for k = 2, 5 do
  columns[k] = redis.call('HMGET', KEYS[k], unpack(names))
end
local out = {}
for i, hit in ipairs(hits) do
  out[#out + 1] = hit[1]
  out[#out + 1] = hit[2]
  for k = 2, 5 do
    out[#out + 1] = columns[k][i] or ''
  end
end
return out
