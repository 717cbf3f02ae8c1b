"""What the gateway remembers between requests: cooldowns, circuits, client-key limit counts
(in this process, or shared through Redis), Responses ids and session bindings."""
