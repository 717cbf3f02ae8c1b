"""The Exchange record (one per request) and what reads it when it finishes."""
