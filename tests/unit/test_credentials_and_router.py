from gateway.catalog import Credential, Pool, Provider, Target
from gateway.config import CooldownConfig
from gateway.credentials import Cooldowns
from gateway.router import Router

PROVIDER = Provider("p", "openai", "http://p/v1", (), "pid")


def pool(n: int) -> Pool:
    return Pool("m", tuple(Target(Credential(PROVIDER, f"k{i}", f"c{i}"), "m") for i in range(n)), "p")


def test_retry_after_is_honoured_up_to_the_ceiling():
    book = Cooldowns(CooldownConfig(max_retry_after_seconds=100))
    assert book.rate_limited("c", "m", retry_after=12.0, now=1000.0) == 1012.0
    assert book.blocked_until("c", "m", now=1011.9) == 1012.0
    assert book.blocked_until("c", "m", now=1012.0) == 0.0
    assert book.rate_limited("c", "m", retry_after=10 ** 6, now=2000.0) == 2100.0


def test_backoff_without_a_hint_doubles_from_one_second_capped_and_success_resets_it():
    book = Cooldowns(CooldownConfig(backoff_max_seconds=5))
    delays = [book.rate_limited("c", "m", retry_after=None, now=0.0) for _ in range(5)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    book.succeeded("c", "m")
    assert book.rate_limited("c", "m", retry_after=None, now=100.0) == 101.0


def test_cooldown_is_per_upstream_model_but_auth_failure_blocks_the_whole_key():
    book = Cooldowns(CooldownConfig(auth_failure_seconds=60))
    book.rate_limited("c", "model-a", retry_after=30, now=0.0)
    assert book.blocked_until("c", "model-a", now=1.0) == 30.0
    assert book.blocked_until("c", "model-b", now=1.0) == 0.0
    book.auth_failed("c", now=0.0)
    assert book.blocked_until("c", "model-b", now=1.0) == 60.0


def test_round_robin_rotates_evenly_over_eligible_targets_only():
    book = Cooldowns(CooldownConfig())
    router = Router("round-robin", book)
    p = pool(3)
    book.rate_limited("c0", "m", retry_after=50, now=0.0)
    firsts = [router.plan(p, now=1.0).targets[0].credential.id for _ in range(6)]
    assert firsts == ["c1", "c2", "c1", "c2", "c1", "c2"]


def test_fill_first_starts_at_the_first_eligible_target():
    book = Cooldowns(CooldownConfig())
    router = Router("fill-first", book)
    p = pool(3)
    assert [t.credential.id for t in router.plan(p, now=0.0).targets] == ["c0", "c1", "c2"]
    book.rate_limited("c0", "m", retry_after=5, now=0.0)
    assert [t.credential.id for t in router.plan(p, now=1.0).targets] == ["c1", "c2"]
    assert router.plan(p, now=6.0).targets[0].credential.id == "c0"


def test_plan_with_every_target_cooling_reports_the_earliest_recovery():
    book = Cooldowns(CooldownConfig())
    router = Router("round-robin", book)
    book.rate_limited("c0", "m", retry_after=30, now=0.0)
    book.rate_limited("c1", "m", retry_after=20, now=0.0)
    plan = router.plan(pool(2), now=1.0)
    assert plan.targets == () and plan.recovers_at == 20.0
