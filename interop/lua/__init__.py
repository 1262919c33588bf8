"""The interop Lua scripts: each `{name}.lua` here is called through the one typed function of
the module `{name}` beside it."""
