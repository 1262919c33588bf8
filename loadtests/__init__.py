"""Load tests: locust users for call handlers, call events, MDTs and AVL, and the bench driver.

locust runs on gevent, so its MQTT users use paho directly, never asyncio.
"""
