"""From a model id to an answer: the catalog (ids -> routes), the planner (which target next)
and the failover loop."""
