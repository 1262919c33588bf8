-- Correct where an incident is, inside its own dispatch area, saying why: the incident and its
-- place in the open set (duplicate search) move; the creation fences around the new place are
-- bumped, so that a call being recorded there meanwhile searches for duplicates again.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] open incidents geo  cad:{area}:open
-- KEYS[3] audit stream        cad:{area}:audit
-- KEYS[4..] the creation fences of the new place's map cell and those around it
-- ARGV[1] ref, ARGV[2] lon, ARGV[3] lat, ARGV[4] radius_m ('' for none), ARGV[5] reason,
-- ARGV[6] now (ms), ARGV[7] actor
-- returns {'ok', old lon, old lat, old radius_m}
--         {'rejected', status, reason, ''}
--         {'missing', '', '', ''}   no such incident: nothing changed (no hash is created)
-- From the prelude: OPEN, FINAL.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', '', ''}
end
if FINAL[status] then
  return {'rejected', status, 'a ' .. status .. ' incident cannot be corrected', ''}
end
local ref = ARGV[1]
local old = redis.call('HMGET', KEYS[1], 'lon', 'lat', 'radius_m')
redis.call('HSET', KEYS[1], 'lon', ARGV[2], 'lat', ARGV[3], 'radius_m', ARGV[4])
if OPEN[status] then
  redis.call('GEOADD', KEYS[2], ARGV[2], ARGV[3], ref)
end
for i = 4, #KEYS do
  redis.call('INCR', KEYS[i])
end
redis.call('XADD', KEYS[3], '*', 'type', 'location_corrected', 'ref', ref,
  'old_lon', old[1] or '', 'old_lat', old[2] or '', 'old_radius_m', old[3] or '',
  'lon', ARGV[2], 'lat', ARGV[3], 'radius_m', ARGV[4], 'reason', ARGV[5], 'actor', ARGV[7],
  'ts_ms', ARGV[6])
return {'ok', old[1] or '', old[2] or '', old[3] or ''}
