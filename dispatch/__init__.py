"""The dispatch core in Redis: units, AVL, the atomic claim, taskings, the pending queue."""
