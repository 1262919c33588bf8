-- Undo step 2 of a move that step 3 refused (the incident changed meanwhile in the area it was
-- leaving): the copy goes, if it is still an unlisted copy.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3..] call hashes       cad:{area}:call:{call_id}
-- returns {'ok'} | {'kept'} (not a copy being moved: left alone)
if redis.call('HGET', KEYS[1], 'moving') ~= '1' then
  return {'kept'}
end
for i = 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return {'ok'}
