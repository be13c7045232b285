"""Readiness in Home Assistant: MQTT discovery configs and states (`aedmon server --home-assistant`)."""
