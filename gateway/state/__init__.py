"""What the gateway remembers about targets between requests: cooldowns and circuit breakers.
In memory, one book per process, kept across config reloads."""
