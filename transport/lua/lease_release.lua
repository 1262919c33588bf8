-- Give a lease up, only if the caller still holds it (a lapsed lease may be another's now).
-- KEYS[1] the lease (string)  e.g. cad:lease:intake
-- ARGV[1] holder
-- returns 1 when released, 0 when the caller did not hold it
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
