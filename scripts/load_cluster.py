"""Load test through a real balancer (`make load-cluster`): HAProxy in front of N local replicas.

For each N of ``--replicas`` (1 and 2 by default) it starts N `streamlit run app.py` processes
on loopback ports and HAProxy in front of them (``scripts/cluster.py``: the configuration of
``deploy/haproxy.cfg``, with local servers), opens each fresh replica with its share of the
sessions at once (``cold_open``), and sends the load test's visitors (``scripts/load_test.py``)
through HAProxy:

1. browse: S sessions, 2–6 s between changes; one action in ten drops the websocket and opens
   it again with the session's cookies and session id, as a browser does after a network blip.
   Shows the sessions spread over the replicas (each connection's replica, from the
   ``X-Replica`` header HAProxy sets) and every reconnection landing on the session's replica
   (where the server resumes the same session).
2. stress: the same with 0.2–1 s between changes, without the blips: the latency against N.
3. failover (N ≥ 2): browse, and replica r1 is killed (SIGKILL) a third of the way in. Its
   sessions reconnect through HAProxy, which sends them to another replica, and rerun with their
   query string alone (the server no longer knows them); each must find every control with the
   value it had. The other sessions must see no error.

Writes test-artifacts/load-cluster/report.json and prints a summary. Exits 1 on any error (in a
session or a replica's log), on a session that changed replica without its replica dying, on a
replica that got no session, on a session of the killed replica that did not fail over, or on
a live replica that HAProxy took out of service (its health check unanswered under load).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys

from scripts.cluster import marked_down, running_cluster
from scripts.load_test import (
    ARTIFACTS,
    CLASS_PACE,
    STRESS_PACE,
    cold_open,
    crowd,
    finish,
    machine,
    show,
)

BLIPS = 0.1
"""Probability that an action of a browsing session is a dropped and reopened websocket."""


def problems(phase: str, result: dict, replicas: int, killed: str | None) -> list[str]:
    """What the balancer got wrong in one phase: sessions that changed replica (other than
    failing over from ``killed``), replicas with no session, sessions of ``killed`` that did not
    fail over."""
    spread = result["visitors"]["replicas"]
    found = [f"{phase}: {name} changed replica" for name in spread["unsticky"]]
    if len(spread["sessions_per_replica"]) < replicas:
        found.append(f"{phase}: sessions only on {sorted(spread['sessions_per_replica'])}")
    if killed is not None:
        stranded = spread["sessions_per_replica"].get(killed, 0) - spread["failed_over"]
        if stranded:
            found.append(f"{phase}: {stranded} sessions of {killed} did not fail over")
    return found


async def topology(replicas: int, args: argparse.Namespace, rng: random.Random,
                   errors: list[str]) -> dict:
    """The phases through HAProxy in front of ``replicas`` replicas; their report."""
    logs = ARTIFACTS / "load-cluster" / f"n{replicas}"
    report: dict = {}
    with running_cluster(replicas, logs, balanced=True) as cluster:
        report["cold_open"] = await cold_open(cluster, args.sessions // replicas, errors)
        report["rss_mb_idle"] = round(cluster.rss_mb(), 1)
        phases = [("browse", CLASS_PACE, BLIPS, None), ("stress", STRESS_PACE, 0.0, None)]
        if replicas >= 2:
            phases.append(("failover", CLASS_PACE, 0.0, ("r1", args.seconds / 3)))
        for phase, pause, blips, kill in phases:
            result = await crowd(cluster, f"n{replicas}-{phase}", args.sessions, args.seconds,
                                 pause, rng, errors, reconnect=blips, kill=kill)
            report[phase] = result
            spread = result["visitors"]["replicas"]
            show(f"N={replicas} {phase}", result)
            print(f"  sessions per replica {spread['sessions_per_replica']}, "
                  f"{spread['reconnections']} reconnections "
                  f"({result['visitors'].get('reconnects', {}).get('resumed_same_session', 0)}"
                  f" resumed their session, "
                  f"{result['visitors'].get('reconnects', {}).get('unanswered_then_answered', 0)}"
                  f" answered only at the next action), {spread['failed_over']} failed over, "
                  f"changed replica: {spread['unsticky']}", flush=True)
            errors += problems(phase, result, replicas, kill[0] if kill else None)
    report["marked_down"] = marked_down(logs / "haproxy.log")
    errors += [f"n{replicas}: HAProxy took {name} out of service, alive"
               for name in report["marked_down"] if name not in cluster.killed]
    return report


async def main(args: argparse.Namespace) -> dict:
    """Every topology of ``args.replicas`` in turn; the report (errors in ``report["errors"]``)."""
    report: dict = {"machine": machine(), "sessions": args.sessions, "seconds": args.seconds}
    errors: list[str] = []
    rng = random.Random(args.seed)
    shutil.rmtree(ARTIFACTS / "load-cluster", ignore_errors=True)  # no old run's logs
    for replicas in args.replicas:
        report[f"replicas_{replicas}"] = await topology(replicas, args, rng, errors)
    report["stress_latency_by_replicas"] = {
        n: report[f"replicas_{n}"]["stress"]["visitors"]["latency"] for n in args.replicas}
    print("stress latency by replicas:", report["stress_latency_by_replicas"])
    report["errors"] = errors
    return report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=45.0, help="of each phase")
    parser.add_argument("--seed", type=int, default=15)
    return parser.parse_args()


if __name__ == "__main__":
    result = asyncio.run(main(parse_args()))
    sys.exit(finish(result, sorted((ARTIFACTS / "load-cluster").glob("n*/r*.log")),
                    ARTIFACTS / "load-cluster" / "report.json"))
