"""The Vault layer: hvac calls, typed models and error mapping.

Nothing in this package imports textual (a test enforces it). All functions here are
synchronous and run in worker threads only.
"""
