"""How the service reaches its servers: the Redis clients and script loading, the MQTT link and
its logins, the call intake's session, dead letters and message handling until durable."""
