-- What duplicate scoring needs of the open incidents near a call, in one call: a pipeline of one
-- command an incident cost the client far more than the reads cost Redis. An incident found
-- closed (or whose hash is gone) is dropped from the open set, which is tidied lazily.
-- KEYS[1] open incidents geo set  cad:{area}:open
-- KEYS[2..] incident hashes       cad:{area}:incident:{ref}, one for each ref below
-- ARGV[1..] the refs, in the order of KEYS[2..]
-- returns a flat list, seven entries an open incident: ref, lon, lat, radius_m, received_ms,
--         incident_type, cli_hashes ('' where the hash holds none)
-- From the prelude: OPEN.
local out = {}
for i = 2, #KEYS do
  local ref = ARGV[i - 1]
  local f = redis.call('HMGET', KEYS[i], 'status', 'lon', 'lat', 'radius_m', 'received_ms',
    'incident_type', 'cli_hashes')
  if f[1] and OPEN[f[1]] then
    out[#out + 1] = ref
    for k = 2, 7 do
      out[#out + 1] = f[k] or ''
    end
  else
    redis.call('ZREM', KEYS[1], ref)
  end
end
return out
