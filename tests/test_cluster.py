"""The balancer's configuration and the per-replica accounting of the cluster load test
(``scripts/cluster.py``); the load tests themselves are `make load` and `make load-cluster`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.cluster import (
    COOKIE,
    REPLICA_HEADER,
    ROOT,
    TEMPLATE_SLOTS,
    haproxy_config,
    marked_down,
    spread,
)

DEPLOY = ROOT / "deploy"


def test_local_config_names_every_replica_with_its_cookie():
    config = haproxy_config([8601, 8602, 8603], bind_port=8600)
    assert "bind 127.0.0.1:8600" in config
    for i, port in enumerate([8601, 8602, 8603], 1):
        assert f"server r{i} 127.0.0.1:{port} cookie r{i}" in config
    assert f"cookie {COOKIE} insert indirect nocache" in config
    assert "http-check send meth GET uri /_stcore/health" in config
    assert "http-check expect string ok" in config
    assert f"http-response set-header {REPLICA_HEADER} %[srv_name]" in config
    assert "option redispatch" in config and "timeout tunnel" in config
    with pytest.raises(ValueError):
        haproxy_config([])


def test_compose_uses_the_generated_config():
    """deploy/haproxy.cfg is what ``python -m scripts.cluster`` prints, and compose mounts it."""
    assert (DEPLOY / "haproxy.cfg").read_text() == haproxy_config()
    assert f"server-template app 1-{TEMPLATE_SLOTS} app:8501" in haproxy_config()
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose
    assert "condition: service_healthy" in compose


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                    reason="HAProxy is not installed (make load-cluster installs it)")
def test_haproxy_accepts_both_configs(tmp_path):
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    local = tmp_path / "local.cfg"
    local.write_text(haproxy_config([8601, 8602], bind_port=8600))
    for config in (local, DEPLOY / "haproxy.cfg"):
        checked = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True,
                                 text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_spread_counts_sessions_per_replica_and_sticky_reconnections():
    result = spread({"a": ["r1", "r1", "r1"], "b": ["r2"], "c": ["r1", "r1"]})
    assert result == {"sessions_per_replica": {"r1": 2, "r2": 1}, "connections": 6,
                      "reconnections": 3, "sticky": 3, "failed_over": 0, "unsticky": []}


def test_spread_accepts_one_move_away_from_a_killed_replica_only():
    histories = {
        "failed over": ["r1", "r1", "r2", "r2"],
        "moved for nothing": ["r2", "r3"],  # r2 was not killed
        "moved twice": ["r1", "r2", "r3"],
        "back to the dead": ["r1", "r2", "r1"],
        "to another dead one": ["r1", "r3"],
        "stayed": ["r2", "r2"],
    }
    result = spread(histories, killed=["r1", "r3"])
    assert result["failed_over"] == 1 and result["sticky"] == 1
    assert result["unsticky"] == sorted(set(histories) - {"failed over", "stayed"})


def test_marked_down_reads_haproxys_log(tmp_path):
    log = tmp_path / "haproxy.log"
    log.write_text(
        '[WARNING]  (1) : Server replicas/r1 is DOWN, reason: Layer4 connection problem\n'
        'Server replicas/r1 is DOWN, reason: Layer4 connection problem, info: "refused"\n'
        "Server replicas/r1 is UP, reason: Layer7 check passed\n"
        '127.0.0.1:4 [29/Nov] classroom replicas/r2 0/0/0/2/3 200 "GET / HTTP/1.1"\n'
        "Server replicas/r2 is DOWN, reason: Layer7 timeout\n")
    assert marked_down(log) == ["r1", "r2"]
