"""The front door: /v1 routes, client codecs (client request -> hub, hub answer/stream/error ->
client bytes), one module per client dialect."""
