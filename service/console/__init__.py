"""The operator console: call taking, incidents, units, alarms and supervision in the browser."""
