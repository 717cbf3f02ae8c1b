"""The usage ledger's database: one row per finished request, written in batches off the request path."""
