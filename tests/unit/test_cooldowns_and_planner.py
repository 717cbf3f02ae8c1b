from gateway.config.models import CircuitBreakerConfig, CooldownConfig, TimeoutConfig
from gateway.core.targets import Credential, Provider, Target
from gateway.routing.catalog import Pool
from gateway.routing.planner import Planner
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore

PROVIDER = Provider("p", "openai", "http://p/v1", (), "pid", TimeoutConfig())


def health() -> CircuitBreaker:
    return CircuitBreaker(CircuitBreakerConfig(failure_threshold=2, cool_off_seconds=10), degraded_ms=1000)


def pool(n: int) -> Pool:
    return Pool("m", tuple(Target(Credential(PROVIDER, f"k{i}", f"c{i}"), "m") for i in range(n)), "p")


def test_retry_after_is_honoured_up_to_the_ceiling():
    book = CooldownStore(CooldownConfig(max_retry_after_seconds=100))
    assert book.rate_limited("c", "m", retry_after=12.0, now=1000.0) == 1012.0
    assert book.blocked_until("c", "m", now=1011.9) == 1012.0
    assert book.blocked_until("c", "m", now=1012.0) == 0.0
    assert book.rate_limited("c", "m", retry_after=10**6, now=2000.0) == 2100.0


def test_backoff_without_a_hint_doubles_from_one_second_capped_and_success_resets_it():
    book = CooldownStore(CooldownConfig(backoff_max_seconds=5))
    delays = [book.rate_limited("c", "m", retry_after=None, now=0.0) for _ in range(5)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    book.succeeded("c", "m")
    assert book.rate_limited("c", "m", retry_after=None, now=100.0) == 101.0


def test_cooldown_is_per_upstream_model_but_auth_failure_blocks_the_whole_key():
    book = CooldownStore(CooldownConfig(auth_failure_seconds=60))
    book.rate_limited("c", "model-a", retry_after=30, now=0.0)
    assert book.blocked_until("c", "model-a", now=1.0) == 30.0
    assert book.blocked_until("c", "model-b", now=1.0) == 0.0
    book.auth_failed("c", now=0.0)
    assert book.blocked_until("c", "model-b", now=1.0) == 60.0


def test_round_robin_rotates_evenly_over_eligible_targets_only():
    book = CooldownStore(CooldownConfig())
    router = Planner("round-robin", book, health())
    p = pool(3)
    book.rate_limited("c0", "m", retry_after=50, now=0.0)
    firsts = [router.plan(p, now=1.0).targets[0].credential.id for _ in range(6)]
    assert firsts == ["c1", "c2", "c1", "c2", "c1", "c2"]


def test_fill_first_starts_at_the_first_eligible_target():
    book = CooldownStore(CooldownConfig())
    router = Planner("fill-first", book, health())
    p = pool(3)
    assert [t.credential.id for t in router.plan(p, now=0.0).targets] == ["c0", "c1", "c2"]
    book.rate_limited("c0", "m", retry_after=5, now=0.0)
    assert [t.credential.id for t in router.plan(p, now=1.0).targets] == ["c1", "c2"]
    assert router.plan(p, now=6.0).targets[0].credential.id == "c0"


def test_plan_with_every_target_cooling_reports_the_earliest_recovery():
    book = CooldownStore(CooldownConfig())
    router = Planner("round-robin", book, health())
    book.rate_limited("c0", "m", retry_after=30, now=0.0)
    book.rate_limited("c1", "m", retry_after=20, now=0.0)
    plan = router.plan(pool(2), now=1.0)
    assert plan.targets == () and plan.recovers_at == 20.0


def test_priority_tiers_come_first_and_the_strategy_orders_inside_a_tier():
    targets = tuple(
        Target(Credential(PROVIDER, f"k{i}", f"c{i}"), "m", priority) for i, priority in enumerate([0, 5, 5, 0])
    )
    router = Planner("round-robin", CooldownStore(CooldownConfig()), health())
    orders = [[t.credential.id for t in router.plan(Pool("m", targets, "p"), now=0.0).targets] for _ in range(2)]
    assert [o[:2] for o in orders] == [["c1", "c2"], ["c2", "c1"]]
    assert all(set(o[2:]) == {"c0", "c3"} for o in orders)


def test_least_latency_prefers_the_faster_target_and_measures_unknown_ones_first():
    h = health()
    router = Planner("least-latency", CooldownStore(CooldownConfig()), h)
    p = pool(3)
    h.succeeded("c0", "m", latency=0.5)
    h.succeeded("c1", "m", latency=0.1)
    assert [t.credential.id for t in router.plan(p, now=0.0).targets] == ["c2", "c1", "c0"]
    h.succeeded("c2", "m", latency=0.3)
    assert [t.credential.id for t in router.plan(p, now=0.0).targets] == ["c1", "c2", "c0"]


def test_breaker_opens_after_consecutive_failures_half_opens_after_cool_off_and_closes_on_success():
    h = health()
    router = Planner("fill-first", CooldownStore(CooldownConfig()), h)
    p = pool(2)
    assert h.failed("c0", "m", now=0.0) is False
    assert h.failed("c0", "m", now=1.0) is True
    assert h.status("c0", "m", now=1.0) == "down"
    # Open: last resort only.
    assert [t.credential.id for t in router.plan(p, now=2.0).targets] == ["c1", "c0"]
    assert router.plan(p, now=2.0).last_resort_from == 1
    # Cool-off over: plans put it first again (half-open) ...
    assert [t.credential.id for t in router.plan(p, now=11.5).targets] == ["c0", "c1"]
    # ... but only one attempt may claim the trial until its outcome is known.
    assert h.claim("c0", "m", now=11.5) is True
    assert h.claim("c0", "m", now=11.6) is False
    h.failed("c0", "m", now=11.7)  # the trial failed: open again at once
    assert router.plan(p, now=12.0).targets[0].credential.id == "c1"
    h.succeeded("c0", "m", latency=0.01)
    assert h.status("c0", "m", now=12.0) == "healthy"
    assert router.plan(p, now=12.0).targets[0].credential.id == "c0"


def test_degraded_targets_go_after_healthy_ones_of_the_same_tier():
    h = health()
    router = Planner("fill-first", CooldownStore(CooldownConfig()), h)
    h.succeeded("c0", "m", latency=3.0)
    assert h.status("c0", "m", now=0.0) == "degraded"
    assert [t.credential.id for t in router.plan(pool(2), now=0.0).targets] == ["c1", "c0"]


def test_a_failed_probe_marks_the_credential_down_for_every_model():
    h = health()
    h.probed("c0", ok=False, latency=None)
    assert h.status("c0", "any-model", now=0.0) == "down"
    assert not h.admits("c0", "any-model", now=0.0)
    h.probed("c0", ok=True, latency=0.02)
    assert h.admits("c0", "any-model", now=0.0)


def test_passthrough_names_do_not_grow_health_or_cooldown_state_without_bound():
    from gateway.state import breaker as health_module
    from gateway.state import cooldowns as credentials

    h = health()
    for index in range(health_module.MAX_TRACKED + 50):
        h.succeeded("c", f"model-{index}", latency=0.1)
    assert len(h._states) <= health_module.MAX_TRACKED
    book = CooldownStore(CooldownConfig())
    for index in range(credentials.MAX_TRACKED + 50):
        book.rate_limited("c", f"model-{index}", retry_after=1.0, now=float(index))
    assert len(book._until) <= credentials.MAX_TRACKED + 1
    assert book.blocked_until("c", f"model-{credentials.MAX_TRACKED + 49}", now=credentials.MAX_TRACKED + 49.5)
