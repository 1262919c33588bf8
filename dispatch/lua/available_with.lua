#!lua flags=no-writes
-- The nearest available units of an area within a radius that hold every capability asked
-- for, each with what a recommendation needs: for a requirement that the nearest units to an
-- incident (unit_candidates.lua, at most 40) cannot meet because they are busy or lack the
-- capability, while suitable units stand further out. Reads only.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit fix hash       cad:{area}:unit:fix
-- KEYS[4] units hash          cad:{area}:units (the registry records, JSON)
-- KEYS[5] unit incident hash  cad:{area}:unit:incident
-- KEYS[6..] capability sets   cad:{area}:cap:{name}, every one the units must hold
-- ARGV[1] lon, ARGV[2] lat, ARGV[3] radius (m), ARGV[4] at most this many units,
-- ARGV[5] oldest acceptable AVL fix (ms; a unit with an older fix is stale and left out; 0: none),
-- ARGV[6] callsigns to leave out, comma separated (found already, or stood down)
-- returns as unit_candidates.lua: a flat list, six entries a unit: callsign, distance (m),
--         status, last fix (ms), registry record, incident ref ('' where Redis holds none)
local want, min_fix = tonumber(ARGV[4]), tonumber(ARGV[5])
local left_out = {}
for callsign in string.gmatch(ARGV[6], '[^,]+') do
  left_out[callsign] = true
end
local caps = {unpack(KEYS, 6)}
local unit = {status = KEYS[2], fix = KEYS[3]}
-- The nearest members in a window as claim_plan.lua's first (the prelude's `holders_window`, at
-- least 16), four times wider each time it holds too few, judging each member once. No holder
-- at all: nothing to search.
local first = holders_window(redis.call('HLEN', KEYS[2]), caps, want)
if first == 0 then
  return {}
end
local names, dists, judged = {}, {}, 0
local window = math.max(first, 16)
while #names < want do
  local hits = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
    'BYRADIUS', ARGV[3], 'm', 'ASC', 'COUNT', window, 'WITHDIST')
  for i = judged + 1, #hits do
    local callsign = hits[i][1]
    -- A member whose status says otherwise is stale in the set (a claim drops it; this reads).
    if #names < want and not left_out[callsign] and not unsuitable(unit, caps, callsign, min_fix)
    then
      names[#names + 1] = callsign
      dists[#dists + 1] = hits[i][2]
    end
  end
  judged = #hits
  if #hits < window then break end
  window = window * 4
end
return unit_rows({KEYS[2], KEYS[3], KEYS[4], KEYS[5]}, names, dists)
