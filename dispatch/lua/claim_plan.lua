-- Claim the nearest suitable available units for every requirement of an incident's response
-- plan, all or none; when the plan cannot be met the incident waits in the pending queue.
-- KEYS[1] available geo set   cad:{area}:available
-- KEYS[2] unit status hash    cad:{area}:unit:status
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] unit tasking hash   cad:{area}:unit:tasking
-- KEYS[5] unit fix hash       cad:{area}:unit:fix
-- KEYS[6] unit since hash     cad:{area}:unit:since
-- KEYS[7] unit by hash        cad:{area}:unit:by
-- KEYS[8] incident hash       cad:{area}:incident:{ref}
-- KEYS[9] pending zset        cad:{area}:pending
-- KEYS[10] audit stream       cad:{area}:audit
-- KEYS[11..] capability sets  cad:{area}:cap:{name}, the requirements' capabilities in order
-- ARGV[1] lon, ARGV[2] lat, ARGV[3] search radii in metres, ascending, comma separated
-- ARGV[4] ref, ARGV[5] now (ms), ARGV[6] actor, ARGV[7] pending score,
-- ARGV[8] oldest acceptable AVL fix (ms; a unit with an older fix is stale and skipped; 0: none)
-- ARGV[9] number of requirements R; then R pairs (count, number of capability keys);
-- then one tasking id per unit the plan asks for
-- returns {'claimed', callsigns, distances_m, tasking ids, fields}  (comma separated, plan order)
--         {'already', callsigns, '', tasking ids, fields}  the incident has its units (a replay)
--         {'queued', '', '', '', fields}                   the plan cannot be met now
--         {'missing', '', '', '', {}}                      no such incident
-- where fields is the incident's hash as the claim leaves it (HGETALL: name, value ...)
local incident = redis.call('HMGET', KEYS[8], 'status', 'units')
local status, current = incident[1], incident[2]
if not status then
  return {'missing', '', '', '', {}}
end
if current and current ~= '' then
  return {'already', current, '', redis.call('HGET', KEYS[8], 'taskings') or '',
    redis.call('HGETALL', KEYS[8])}
end
-- Units a dispatcher stood down from this incident (stand_down.lua) are not claimed for it.
local refused = {}
for callsign in string.gmatch(redis.call('HGET', KEYS[8], 'stood_down') or '', '[^,]+') do
  refused[callsign] = true
end
local ref, now, min_fix = ARGV[4], ARGV[5], tonumber(ARGV[8])
local n_req = tonumber(ARGV[9])
local chosen, picks, dists = {}, {}, {}
local cap_key, arg = 11, 10
local fleet = redis.call('HLEN', KEYS[2])
local unit = {status = KEYS[2], fix = KEYS[5]}
local function suitable(callsign, caps)
  if chosen[callsign] or refused[callsign] then return false end
  local why = unsuitable(unit, caps, callsign, min_fix)
  -- A member whose status says otherwise is stale in the set: drop it.
  if why == 'status' then redis.call('ZREM', KEYS[1], callsign) end
  return why == nil
end
for _ = 1, n_req do
  local need, n_caps = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1])
  arg = arg + 2
  local caps = {}
  for c = cap_key, cap_key + n_caps - 1 do
    caps[#caps + 1] = KEYS[c]
  end
  local window = holders_window(fleet, caps, need)
  -- A wider circle or window finds the nearer members again: each is judged once.
  local judged = {}
  -- GEOSEARCH cost grows with the members inside the radius: a small circle first, then wider.
  for radius in string.gmatch(ARGV[3], '[^,]+') do
    while need > 0 and window > 0 do
      local found = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
        'BYRADIUS', radius, 'm', 'ASC', 'COUNT', window, 'WITHDIST')
      for _, hit in ipairs(found) do
        if need == 0 then break end
        local callsign = hit[1]
        if not judged[callsign] then
          judged[callsign] = true
          if suitable(callsign, caps) then
            chosen[callsign] = true
            picks[#picks + 1] = callsign
            dists[#dists + 1] = hit[2]
            need = need - 1
          end
        end
      end
      -- Fewer than asked for: the circle holds no more, so the next radius.
      if #found < window then break end
      window = window * 4
    end
    if need == 0 or window == 0 then break end
  end
  if need > 0 then
    if status ~= 'pending' then
      redis.call('HSET', KEYS[8], 'status', 'pending')
      redis.call('ZADD', KEYS[9], ARGV[7], ref)
      redis.call('XADD', KEYS[10], '*', 'type', 'incident_queued', 'ref', ref, 'actor', ARGV[6],
        'ts_ms', now)
    end
    return {'queued', '', '', '', redis.call('HGETALL', KEYS[8])}
  end
  cap_key = cap_key + n_caps
end
if #picks == 0 then
  return {'queued', '', '', '', redis.call('HGETALL', KEYS[8])}
end
local taskings = {}
for i, callsign in ipairs(picks) do
  local tasking = ARGV[arg + i - 1]
  taskings[i] = tasking
  redis.call('ZREM', KEYS[1], callsign)
  redis.call('HSET', KEYS[2], callsign, 'assigned')
  redis.call('HSET', KEYS[3], callsign, ref)
  redis.call('HSET', KEYS[4], callsign, tasking)
  redis.call('HSET', KEYS[6], callsign, now)
  redis.call('HSET', KEYS[7], callsign, ARGV[6])
  redis.call('XADD', KEYS[10], '*', 'type', 'unit_assigned', 'ref', ref, 'callsign', callsign,
    'tasking_id', tasking, 'distance_m', dists[i], 'actor', ARGV[6], 'ts_ms', now)
end
local units, tasking_ids = table.concat(picks, ','), table.concat(taskings, ',')
redis.call('HSET', KEYS[8], 'status', 'dispatched', 'units', units, 'taskings', tasking_ids,
  'dispatched_ms', now)
redis.call('ZREM', KEYS[9], ref)
return {'claimed', units, table.concat(dists, ','), tasking_ids, redis.call('HGETALL', KEYS[8])}
