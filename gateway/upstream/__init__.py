"""Talking to upstreams: adapters per (dialect, operation), transports (aiohttp, the built-in
mock), one attempt against one target, the stream relay, probes and model discovery.

The only package that imports aiohttp."""
