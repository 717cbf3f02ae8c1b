"""The management API under /v0/management: beside the request path, never on it."""
