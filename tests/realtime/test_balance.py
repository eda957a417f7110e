"""Consoles spread again after a restart: who asks how many to move, and whom it leaves alone."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from app.realtime.balance import STALE_BEATS, Balancer, surplus

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_the_surplus_is_what_a_process_holds_above_its_share_while_a_peer_is_below_it() -> None:
    assert surplus(12, [12, 0]) == 6  # the survivor, its peer back with nothing
    assert surplus(0, [12, 0]) == 0  # the peer asks no one
    assert surplus(7, [7, 5]) == 1
    assert surplus(6, [6, 5]) == 0  # one more or less is no reason to move anyone
    assert surplus(12, [12]) == 0  # alone: nowhere to go
    assert surplus(9, [9, 1, 2]) == 5


@pytest.fixture
def channel() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    name = f"hotline-test-{uuid.uuid4().hex}"
    yield name
    client.delete(f"{name}:consoles")


def test_a_survivor_asks_its_surplus_once_its_peer_is_back_and_not_those_that_came_back(channel: str) -> None:
    survivor = Balancer(REDIS_URL, channel, every=5, identity="web-1", settle=0)
    returned = Balancer(REDIS_URL, channel, every=5, identity="web-2", settle=0)
    consoles = {f"sid-{n}": f"10.0.0.{n}" for n in range(12)}
    assert survivor.round(consoles, lambda sids: None) == 0  # alone
    returned.publish(0)

    waiting = Balancer(REDIS_URL, channel, every=5, identity="web-1")  # as deployed: nginx may not send it any yet
    assert waiting.round(consoles, lambda sids: None) == 0
    asked: list[str] = []
    assert survivor.round(consoles, asked.extend) == 0  # the peer is new: alive only once it beats again
    returned.publish(0)
    assert survivor.round(consoles, asked.extend) == 6
    assert len(set(asked)) == 6 and set(asked) <= set(consoles)
    # Half of them went to the peer; the other three reconnected here: nginx's hash leads them here.
    gone, back = asked[:3], asked[3:]
    for sid in gone:
        del consoles[sid]
    for sid in back:
        consoles[f"new-{sid}"] = consoles.pop(sid)
        survivor.arrived(consoles[f"new-{sid}"])
    returned.publish(3)
    survivor.publish(len(consoles))
    returned.publish(3)
    # The next round asks others (the rest of the surplus), never the addresses that came back.
    survivor._asked = {address: at - 60 for address, at in survivor._asked.items()}  # those asks are old now
    again: list[str] = []
    assert survivor.round(consoles, again.extend) == 3
    assert not {consoles[sid] for sid in again} & {consoles[f"new-{sid}"] for sid in back}


def test_a_process_not_heard_of_for_three_beats_is_gone(channel: str) -> None:
    survivor = Balancer(REDIS_URL, channel, every=1, identity="web-1", settle=0)
    client = redis.Redis.from_url(REDIS_URL)
    now = float(client.time()[0])
    client.hset(f"{channel}:consoles", "killed", f"0 {now - STALE_BEATS - 1}")
    # The killed process's entry is dropped: the survivor is alone and asks no one to move to it.
    assert survivor.publish(12) == [12]
    assert survivor.round({f"sid-{n}": "10.0.0.1" for n in range(12)}, lambda sids: None) == 0
    assert client.hkeys(f"{channel}:consoles") == [b"web-1"]


def test_a_process_killed_a_moment_ago_is_not_sent_consoles_on_the_count_it_left(channel: str) -> None:
    killed = Balancer(REDIS_URL, channel, every=5, identity="web-2")
    here = {f"sid-{n}": f"10.0.0.{n}" for n in range(6)}
    with_its_consoles = here | {f"moved-{n}": f"10.0.1.{n}" for n in range(5)}
    survivor = Balancer(REDIS_URL, channel, every=5, identity="web-1", settle=0)
    for _ in range(2):
        killed.publish(5)
        assert survivor.round(here, lambda sids: None) == 0  # 6 and 5: even enough
    # Killed; its consoles reconnected here. Its entry stays fresh for a few seconds, but it has not beaten
    # since the survivor's previous beat: not believed, nobody is asked to move there.
    assert survivor.round(with_its_consoles, lambda sids: None) == 0
    # Killed right after its last beat: the consoles arriving here put the counts in motion; nobody is asked
    # to move until they settle (and by then the dead process no longer beats).
    settling = Balancer(REDIS_URL, channel, every=5, identity="web-1")
    killed.publish(5)
    assert settling.round(here, lambda sids: None) == 0
    killed.publish(5)
    assert settling.round(with_its_consoles, lambda sids: None) == 0
