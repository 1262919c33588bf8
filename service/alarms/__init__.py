"""Alarms: what is alarming (rules, free of I/O), where alarms are kept (store, Redis), and the
scan that raises and clears them and tells everyone (scanner). docs/alarms.md."""
