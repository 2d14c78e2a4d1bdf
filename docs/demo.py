"""A small network of people on three servers, seeded and left running on 127.0.0.1.

    make demo            (or: .venv/bin/python docs/demo.py [--port-base 8001] [--dir DIR])

It starts three instances of fediverse-skills (A, B and C: each its own process and SQLite
database, in a temporary directory unless --dir names a new one), creates five people who
can sign in with a password, and seeds what co-creation across servers looks like:

- everyone's display name, a short summary and two or three skills they declared;
- follows between the servers;
- suggestions across servers: bob@B suggests "Distributed systems" to alice@A and carol@C
  suggests "Mentoring"; alice accepts both. erin@B suggests "Accessibility" to dana@A,
  which stays pending for you to decide;
- endorsements with comments, each signed by its author (FEP-8b32);
- alice asks "What would you say I'm good at?"; bob and carol reply from their servers
  with hashtags, which become suggestions on A: alice accepts bob's, carol's waits.

When the federated effects are visible everywhere, it prints the servers, the profiles,
the logins and what to look at, and keeps running until Ctrl-C (or SIGTERM), which stops
all three servers. With --seed-only it stops them at once instead, after a last line
``SUMMARY {...}`` with counts read back from the servers' APIs (tests/test_demo.py).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.instances import Instance, eventually  # noqa: E402
from tests.processes import free_port  # noqa: E402

PASSWORD = "demo-password"  # noqa: S105 (the demo's published password)
WAIT = 60.0  # seconds for a federated effect to show


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    summary: str
    skills: tuple[str, ...]


PEOPLE: dict[str, tuple[Person, ...]] = {
    "A": (
        Person(
            "alice",
            "Alice Moreau",
            "Backend engineer. Keeps the data pipelines boring, on purpose.",
            ("Rust", "PostgreSQL"),
        ),
        Person(
            "dana",
            "Dana Okafor",
            "Product designer; runs the user research guild.",
            ("UX research", "Technical writing", "Figma"),
        ),
    ),
    "B": (
        Person(
            "bob",
            "Bob Lindqvist",
            "Site reliability engineer with opinions about on-call.",
            ("Kubernetes", "Observability", "Go"),
        ),
        Person(
            "erin",
            "Erin Castillo",
            "Front-end developer who tests with a screen reader first.",
            ("TypeScript", "Design systems"),
        ),
    ),
    "C": (
        Person(
            "carol",
            "Carol Nguyen",
            "Engineering manager at a small worker-owned co-op.",
            ("Team leadership", "Hiring"),
        ),
    ),
}

T = TypeVar("T")


class DemoError(Exception):
    """A server did not answer as the story needs; the message says what happened."""


def parallel(jobs: list[Callable[[], T]]) -> list[T]:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(lambda job: job(), jobs))


@dataclass
class Network:
    a: Instance
    b: Instance
    c: Instance

    @property
    def instances(self) -> dict[str, Instance]:
        return {"A": self.a, "B": self.b, "C": self.c}

    def call(self, inst: Instance, user: str, method: str, path: str, payload: Any = None) -> Any:
        """One JSON API call as ``user``; a 4xx or 5xx answer raises DemoError."""
        answer = httpx.request(
            method,
            f"{inst.url}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {inst.tokens[user]}"},
            timeout=30,
        )
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} as {user}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    def handle(self, inst: Instance, user: str) -> str:
        return f"{user}@{inst.host}"


def seed(net: Network) -> str:
    """Everything the newcomer sees; returns the URI of alice's ask."""
    a, b, c = net.a, net.b, net.c
    alice, dana, bob, erin = (
        net.handle(a, "alice"),
        net.handle(a, "dana"),
        net.handle(b, "bob"),
        net.handle(b, "erin"),
    )
    carol = net.handle(c, "carol")

    print("Seeding: profiles and starting skills")
    for key, inst in net.instances.items():
        for person in PEOPLE[key]:
            net.call(
                inst,
                person.username,
                "PATCH",
                "/api/v1/profile",
                {"display_name": person.name, "summary": person.summary},
            )
            for skill in person.skills:
                net.call(inst, person.username, "POST", "/api/v1/skills", {"skill": skill})

    print("Seeding: follows across the servers")
    follows = [
        (a, "alice", bob),
        (a, "alice", carol),
        (b, "bob", alice),
        (b, "bob", carol),
        (c, "carol", alice),
        (a, "dana", erin),
        (b, "erin", dana),
    ]
    for inst, user, target in follows:
        net.call(inst, user, "POST", "/api/v1/follows", {"target": target})

    print("Seeding: suggestions across the servers")
    for inst, user, to, skill, comment in [
        (b, "bob", alice, "Distributed systems", "She designed our replication story."),
        (c, "carol", alice, "Mentoring", "Every new hire on my team asks to pair with her."),
        (
            b,
            "erin",
            dana,
            "Accessibility",
            "Her research sessions always include people who use screen readers.",
        ),
    ]:
        net.call(
            inst,
            user,
            "POST",
            "/api/v1/suggestions",
            {"to": to, "skill": skill, "comment": comment},
        )

    print("Seeding: alice asks, bob and carol reply from their servers")
    ask = net.call(a, "alice", "POST", "/api/v1/asks", {"text": "What would you say I'm good at?"})
    net.call(
        b,
        "bob",
        "POST",
        "/api/v1/notes",
        {
            "content": "Your design docs are the ones the whole team copies. #TechnicalWriting",
            "in_reply_to": ask["uri"],
        },
    )
    net.call(
        c,
        "carol",
        "POST",
        "/api/v1/notes",
        {
            "content": "You run the calmest incident reviews I have ever been in. #Facilitation",
            "in_reply_to": ask["uri"],
        },
    )

    print("Seeding: signed endorsements with comments")
    endorse = [
        (
            c,
            "carol",
            alice,
            "Rust",
            "She rewrote our ingestion pipeline in Rust; it has not paged anyone since.",
        ),
        (
            a,
            "alice",
            bob,
            "Kubernetes",
            "Bob's cluster upgrades are the only ones I sleep through.",
        ),
        (
            a,
            "dana",
            erin,
            "Design systems",
            "Erin's component library cut our accessibility audit in half.",
        ),
        (b, "erin", dana, "UX research", "Dana's interview guides are the template we all use."),
    ]
    for inst, user, to, skill, comment in endorse:
        net.call(
            inst,
            user,
            "POST",
            "/api/v1/endorsements",
            {"to": to, "skill": skill, "comment": comment},
        )

    print("Seeding: alice accepts what bob and carol suggested (one ask reply stays pending)")

    def pending_for_alice() -> dict[str, dict[str, Any]] | None:
        rows = net.call(a, "alice", "GET", "/api/v1/suggestions?status=pending")["suggestions"]
        found = {r["skill"]["name"]: r for r in rows}
        wanted = {"Distributed systems", "Mentoring", "Technical writing", "Facilitation"}
        return found if wanted <= set(found) else None

    pending = eventually(pending_for_alice, timeout=WAIT, what="the suggestions reaching A")
    for name in ("Distributed systems", "Mentoring", "Technical writing"):
        net.call(a, "alice", "POST", f"/api/v1/suggestions/{pending[name]['id']}/accept", {})

    print("Seeding: endorsements of the skills alice accepted")
    for inst, user, skill, comment in [
        (
            b,
            "bob",
            "Distributed systems",
            "Her design review caught the split-brain case before production did.",
        ),
        (a, "dana", "Mentoring", "Alice paired with me for a month; I now write my own SQL."),
    ]:
        net.call(
            inst,
            user,
            "POST",
            "/api/v1/endorsements",
            {"to": alice, "skill": skill, "comment": comment},
        )
    return str(ask["uri"])


def wait_until_federated(net: Network, ask_uri: str) -> dict[str, Any]:
    """Wait until every server shows what the others did; returns the summary."""
    a, b, c = net.a, net.b, net.c
    print("Waiting for the servers to hear from each other")

    def sent_accepted(inst: Instance, user: str) -> bool:
        rows = net.call(inst, user, "GET", "/api/v1/suggestions?box=sent&status=accepted")
        return bool(rows["suggestions"])

    eventually(lambda: sent_accepted(b, "bob"), timeout=WAIT, what="B hearing alice accept")
    eventually(lambda: sent_accepted(c, "carol"), timeout=WAIT, what="C hearing alice accept")

    def follows_accepted() -> int:
        total = 0
        for inst, user in [(a, "alice"), (a, "dana"), (b, "bob"), (b, "erin"), (c, "carol")]:
            page = inst.get_as(f"/users/{user}/followers?page=1").json()
            total += len(page.get("orderedItems", []))
        return total if total == 7 else 0

    follows = eventually(follows_accepted, timeout=WAIT, what="every follow being accepted")

    def alice_seen_from_c() -> dict[str, Any] | None:
        profile = net.call(c, "carol", "GET", f"/api/v1/profiles/{net.handle(a, 'alice')}")
        endorsed = [e for s in profile["skills"] for e in s["endorsements"]]
        proofs = [e for e in endorsed if e["verified"] == "proof"]
        return profile if len(profile["skills"]) == 5 and len(proofs) == 3 else None

    seen = eventually(alice_seen_from_c, timeout=WAIT, what="C seeing alice's whole profile")

    def proofs_at_home() -> int:
        total = 0
        for key, inst in net.instances.items():
            for person in PEOPLE[key]:
                handle = net.handle(inst, person.username)
                profile = net.call(inst, person.username, "GET", f"/api/v1/profiles/{handle}")
                total += sum(s["counts"]["proof"] for s in profile["skills"])
        return total if total == 6 else 0

    proofs = eventually(proofs_at_home, timeout=WAIT, what="every endorsement arriving")

    received = net.call(a, "alice", "GET", "/api/v1/suggestions")["suggestions"]
    replies = [r for r in received if r["via"] == ask_uri]
    dana_pending = net.call(a, "dana", "GET", "/api/v1/suggestions?status=pending")["suggestions"]
    skills = {
        s["name"]: (urlsplit(s["provenance"]["suggested_by"]).netloc if s["provenance"] else None)
        for s in seen["skills"]
    }
    return {
        "instances": [inst.url for inst in net.instances.values()],
        "alice_skills": skills,
        "alice_suggested_from": sorted({h for h in skills.values() if h}),
        "alice_endorsements_seen_from_c": [
            {"skill": s["name"], "by": e["by"], "verified": e["verified"]}
            for s in seen["skills"]
            for e in s["endorsements"]
        ],
        "proof_endorsements": proofs,
        "follows": follows,
        "dana_pending": [r["skill"]["name"] for r in dana_pending],
        "ask_replies": len(replies),
        "ask_replies_accepted": sum(1 for r in replies if r["status"] == "accepted"),
    }


def guide(net: Network, data: Path, temporary: bool) -> None:
    a, b, c = net.a, net.b, net.c
    where = f"data in {data}" + (", deleted when the demo stops" if temporary else "")
    print(f"\nThree fediverse-skills servers are running on 127.0.0.1 ({where}):\n")
    for key, inst in net.instances.items():
        people = ", ".join(p.username for p in PEOPLE[key])
        print(f"  {key}  {inst.url:<24}  people: {people}")
    print(f"\nEveryone signs in at /login on their own server, password: {PASSWORD}")
    for key, inst in net.instances.items():
        for person in PEOPLE[key]:
            print(f"  {inst.url}/login   {person.username:<6} / {PASSWORD}")
    print("  (each server has cookies of its own: you can be signed in to all three at once)")
    print("\nProfiles:")
    for key, inst in net.instances.items():
        for person in PEOPLE[key]:
            print(f"  {inst.url}/@{person.username:<6}  {person.name} ({key})")
    print("\nWhat to look at:")
    print(
        f"  - open {a.url}/@alice: skills suggested by people on B ({b.host}) and C"
        f" ({c.host}),\n    accepted by alice, and endorsements signed by their authors"
        " (carol's comment on Rust among them)."
    )
    print(
        '  - "Technical writing" came from bob\'s reply to alice\'s ask ("What would you say'
        " I'm good at?\");\n    carol's reply suggested Facilitation: sign in as alice on A"
        f" and decide it at {a.url}/suggestions."
    )
    print(
        f"  - sign in as dana on A: one suggestion waits at {a.url}/suggestions"
        " (Accessibility, from erin on B)."
    )
    print(
        "  - alice's profile as C assembles it, every proof checked by C (JSON API, described"
        f" at {a.url}/api/openapi.json):\n"
        f"    curl -H 'Authorization: Bearer {c.tokens['carol']}' \\\n"
        f"         {c.url}/api/v1/profiles/alice@{a.host}"
    )


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


def _on_term(signum: int, frame: FrameType | None) -> None:
    raise Stop


@contextmanager
def running(net: Network) -> Iterator[None]:
    """Start the three servers together; stop them all on the way out, however it ends."""
    try:
        parallel([inst.start for inst in net.instances.values()])
        yield
    except KeyboardInterrupt:
        # A Ctrl-C in the terminal reached the servers too: give them a moment to finish.
        deadline = time.monotonic() + 3
        for inst in net.instances.values():
            proc = inst.server.proc if inst.server else None
            while proc is not None and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        print("\nStopping the three servers...", flush=True)
        parallel([lambda inst=inst: inst.stop() for inst in net.instances.values()])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print("Stopped.", flush=True)


def serve_forever(net: Network) -> int:
    print("\nPress Ctrl-C to stop the three servers.", flush=True)
    while True:
        for key, inst in net.instances.items():
            proc = inst.server.proc if inst.server else None
            if proc is not None and proc.poll() is not None:
                clean = proc.returncode in (0, -signal.SIGINT, -signal.SIGTERM)
                print(f"\nServer {key} stopped (exit code {proc.returncode}); stopping the others.")
                if not clean:
                    print(f"Its log ends with:\n{inst.logs()[-3000:]}")
                return 0 if clean else 1
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="stop everything after seeding, printing a SUMMARY line of JSON (for tests)",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        metavar="N",
        help="serve A, B and C on ports N, N+1 and N+2 (default: free ports)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        help="keep the servers' data in this new (or empty) directory, not a temporary one",
    )
    args = parser.parse_args(argv)
    if args.dir is not None and args.dir.exists() and any(args.dir.iterdir()):
        parser.error(f"{args.dir} is not empty; give a new directory")
    signal.signal(signal.SIGTERM, _on_term)
    # Ctrl-C stops the demo even when started where SIGINT was ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="fsk-demo-") as scratch:
        base = args.dir.resolve() if args.dir is not None else Path(scratch)
        ports = (
            [args.port_base + i for i in range(3)]
            if args.port_base is not None
            else [free_port() for _ in range(3)]
        )
        net = Network(
            *(Instance(base / name, port=port) for name, port in zip("abc", ports, strict=True))
        )
        started = time.monotonic()
        try:
            print(f"Creating the people on A, B and C (password {PASSWORD!r})")
            parallel(
                [
                    lambda key=key, inst=inst: inst.setup(
                        *(p.username for p in PEOPLE[key]), password=PASSWORD
                    )
                    for key, inst in net.instances.items()
                ]
            )
            print("Starting the servers: " + "  ".join(i.url for i in net.instances.values()))
            with running(net):
                ask_uri = seed(net)
                summary = wait_until_federated(net, ask_uri)
                guide(net, base, temporary=args.dir is None)
                print(f"\nReady in {time.monotonic() - started:.0f} s.", flush=True)
                if args.seed_only:
                    print("SUMMARY " + json.dumps(summary, ensure_ascii=False), flush=True)
                    return 0
                return serve_forever(net)
        except (KeyboardInterrupt, Stop):
            return 0
        except (DemoError, AssertionError) as exc:
            print(f"\nThe demo could not be set up: {exc}", file=sys.stderr)
            for key, inst in net.instances.items():
                print(f"\n--- log of {key}:\n{inst.logs()[-3000:]}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
