"""``RedisBackend.from_url``'s Cluster and Sentinel forms, as tables (no Redis needed)."""

from __future__ import annotations

import pytest

from aura_async import AuraConfigurationError
from aura_async.redis import RedisBackend
from aura_async.redis._urls import NodesURL, parse_nodes_url


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("redis://localhost:6379/0", None),
        ("rediss://h:1/0", None),
        ("unix:///tmp/redis.sock", None),
        (
            "redis+cluster://a:7000,b:7001",
            NodesURL("cluster", False, (("a", 7000), ("b", 7001))),
        ),
        ("rediss+cluster://a", NodesURL("cluster", True, (("a", 6379),))),
        ("redis+cluster://[::1]:7000/0", NodesURL("cluster", False, (("::1", 7000),))),
        (
            "redis+cluster://app:p%40ss@a:7000",
            NodesURL("cluster", False, (("a", 7000),), "app", "p@ss"),
        ),
        (
            "redis+sentinel://:pw@s1,s2:26380/mymaster/3",
            NodesURL("sentinel", False, (("s1", 26379), ("s2", 26380)), None, "pw", "mymaster", 3),
        ),
        (
            "REDISS+SENTINEL://s1/mymaster?sentinel_password=spw&sentinel_username=su",
            NodesURL(
                "sentinel",
                True,
                (("s1", 26379),),
                service="mymaster",
                sentinel_username="su",
                sentinel_password="spw",
            ),
        ),
    ],
)
def test_cluster_and_sentinel_urls_parse(url: str, parsed: NodesURL | None) -> None:
    assert parse_nodes_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+cluster://", "no host"),
        ("redis+cluster://:secret-pw@", "no host"),
        ("redis+cluster://a:port", "'port' is not a port"),
        ("redis+cluster://a:70000", "is not a port"),
        ("redis+cluster://a:7000/1", "database 0 only"),
        ("redis+cluster://a:7000?ssl=true", r"unknown query option\(s\) ssl"),
        ("redis+cluster://a:7000?sentinel_password=x", "takes no query options"),
        ("redis+sentinel://s1", "/service or /service/db"),
        ("redis+sentinel://s1/svc/db1", "/service or /service/db"),
        ("redis+sentinel://s1/svc/1/2", "/service or /service/db"),
        ("redis+sentinel://:secret-pw@s1/svc?password=x", "unknown query option"),
        ("http://localhost:6379", "Redis URL"),
    ],
)
def test_bad_urls_are_configuration_errors_that_hide_the_password(url: str, problem: str) -> None:
    with pytest.raises(AuraConfigurationError, match=problem) as caught:
        RedisBackend.from_url(url)
    assert "secret-pw" not in str(caught.value)


def test_a_cluster_url_builds_a_cluster_backend_named_by_its_nodes() -> None:
    backend = RedisBackend.from_url("redis+cluster://:hunter2-secret@n1.internal:7000,n2:7001")
    assert repr(backend) == (
        "<RedisBackend redis=n1.internal:7000,n2:7001 (Cluster) prefix='aura_async'>"
    )


def test_the_repr_of_a_parsed_url_hides_its_secrets() -> None:
    parsed = parse_nodes_url("redis+sentinel://u:pw-1@s1/svc?sentinel_password=pw-2")
    assert "pw-1" not in repr(parsed)
    assert "pw-2" not in repr(parsed)


def test_share_token_must_be_a_bool() -> None:
    with pytest.raises(AuraConfigurationError, match="share_token"):
        RedisBackend.from_url("redis://localhost:6379/0", share_token="no")
