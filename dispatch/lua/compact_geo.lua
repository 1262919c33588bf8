-- Re-pack an area's geo sets into freshly allocated memory, in search order. GEOSEARCH walks a
-- set's skiplist; a set whose members were added one at a time between the area's other
-- records (registration, units coming back available) spreads over many times the memory, and
-- each search then costs up to twice as much (docs/performance.md). Same members, same scores.
-- KEYS[1], KEYS[3] ... a geo set        cad:{area}:positions, cad:{area}:available
-- KEYS[2], KEYS[4] ... its scratch key  the same name with ':packing' (the same slot)
-- returns the number of sets re-packed (a set that does not exist is left alone)
local packed = 0
for i = 1, #KEYS, 2 do
  if redis.call('COPY', KEYS[i], KEYS[i + 1], 'REPLACE') == 1 then
    redis.call('RENAME', KEYS[i + 1], KEYS[i])
    packed = packed + 1
  end
end
return packed
