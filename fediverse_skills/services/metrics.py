"""What an operator watches: inbox outcomes, queue depths, delivery outcomes, and the
hosts whose circuit breaker is open, in Prometheus' text format and for the admin page.

Queue depths, delivery states and breakers come from the database, so every process
reports the same numbers. Inbox outcomes are counted by the process that answered (each
process is its own scrape target, as Prometheus expects).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..store import deliveries, hosts, inbox
from .context import Federation

# An inbox POST's HTTP status, as the outcome label operators read.
OUTCOMES = {
    202: "accepted",
    400: "malformed",
    401: "bad_signature",
    403: "blocked",
    404: "no_such_recipient",
    413: "too_large",
    415: "wrong_media_type",
    429: "rate_limited",
    500: "error",
}


def count_inbox(fed: Federation, status: int) -> None:
    fed.inbox_outcomes[OUTCOMES.get(status, f"status_{status}")] += 1


@dataclass(frozen=True)
class Snapshot:
    inbox_outcomes: dict[str, int]
    inbox_queue: dict[str, int]
    deliveries: dict[str, int]
    open_breakers: list[tuple[str, int]]


async def snapshot(fed: Federation) -> Snapshot:
    async with fed.db.connection() as conn:
        queue = await inbox.count_by_state(conn)
        sent = await deliveries.count_by_state(conn)
        breakers = await hosts.open_breakers(conn, datetime.now(UTC))
    return Snapshot(
        inbox_outcomes=dict(sorted(fed.inbox_outcomes.items())),
        inbox_queue={s: queue.get(s, 0) for s in ("pending", "done", "failed")},
        deliveries={s: sent.get(s, 0) for s in ("pending", "done", "gave_up")},
        open_breakers=breakers,
    )


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(found: Snapshot) -> str:
    """The snapshot in the Prometheus text exposition format (version 0.0.4)."""
    lines = [
        "# HELP fediverse_skills_inbox_requests_total Inbox POSTs answered by this process.",
        "# TYPE fediverse_skills_inbox_requests_total counter",
    ]
    for outcome in sorted({*OUTCOMES.values(), *found.inbox_outcomes}):
        count = found.inbox_outcomes.get(outcome, 0)
        lines.append(
            f'fediverse_skills_inbox_requests_total{{outcome="{_label(outcome)}"}} {count}'
        )
    lines += [
        "# HELP fediverse_skills_inbox_queue Received activities by processing state.",
        "# TYPE fediverse_skills_inbox_queue gauge",
    ]
    lines += [
        f'fediverse_skills_inbox_queue{{state="{s}"}} {n}' for s, n in found.inbox_queue.items()
    ]
    lines += [
        "# HELP fediverse_skills_deliveries Outgoing deliveries by state.",
        "# TYPE fediverse_skills_deliveries gauge",
    ]
    lines += [
        f'fediverse_skills_deliveries{{state="{s}"}} {n}' for s, n in found.deliveries.items()
    ]
    lines += [
        "# HELP fediverse_skills_host_breaker_open Hosts we stopped delivering to for now "
        "(value: consecutive failures).",
        "# TYPE fediverse_skills_host_breaker_open gauge",
    ]
    lines += [
        f'fediverse_skills_host_breaker_open{{host="{_label(h)}"}} {n}'
        for h, n in found.open_breakers
    ]
    return "\n".join(lines) + "\n"
