"""Long property-based fuzzing run (issue 8): the targets of tests/fuzz/targets.py with many more cases
than ``make test`` runs, and schemathesis against the OpenAPI of the agent and chat APIs.

Each parser target runs ``--count`` generated inputs (hypothesis, random seed unless --seed); a crash
(any exception other than the parser's documented refusal) is printed with its shrunk input and the run
goes on with the next target. Then schemathesis generates ``--api-count`` requests per API operation
against the in-process ASGI app (build_runtime with keyword stand-ins on a temp data dir) and checks that
no response is a 5xx and every response matches the schema.

Run: .venv/bin/python benchmarks/fuzz.py [--count 5000] [--api-count 200] [--seed N] [--only telegram,email]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hseed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import table
from tests.fuzz.targets import CASES, TARGETS


def run_targets(count: int, seed: int | None, only: set[str]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, (prop, strats) in TARGETS.items():
        if only and name not in only:
            continue
        before = dict(CASES)
        test = settings(max_examples=count, deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))(given(*strats)(prop))
        if seed is not None:
            test = hseed(seed)(test)
        crash = "none"
        start = time.perf_counter()
        try:
            test()
        except Exception as exc:  # a crash: print it (with hypothesis' shrunk input) and go on
            crash = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"
            traceback.print_exc()
        took = time.perf_counter() - start
        prefix = "dialog." if name == "answers" else f"{name}."
        for fn, n in sorted(CASES.items()):
            if fn.startswith(prefix):
                rows.append([fn, n - before.get(fn, 0), f"{took:.1f}", crash])
    return rows


def _fuzz_operation(operation: Any, api_count: int) -> tuple[int, list[str]]:
    """Generated requests against one operation; (cases run, failures: the first is the shrunk one)."""
    from schemathesis.checks import not_a_server_error

    cases = 0
    failures: list[str] = []

    def check(case: Any) -> None:
        nonlocal cases
        cases += 1
        try:  # an exception escaping the app is a crash too (a 500 for a real client)
            response = case.call(headers={"Authorization": "Bearer fuzz-token"})
            case.validate_response(response, checks=(not_a_server_error,))
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:90]}")
            raise

    test = settings(max_examples=api_count, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))(given(case=operation.as_strategy())(check))
    try:
        test()
    except Exception as exc:
        if not failures:  # the harness itself failed, not a case
            failures.append(f"harness: {type(exc).__name__}: {exc}"[:100])
    return cases, failures


def run_api(api_count: int) -> list[list[object]]:
    import schemathesis

    from atende.app import create_app
    from atende.runtime import build_runtime
    from atende.settings import load_settings

    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings_ = load_settings(data_dir=Path(tmp), api_token="fuzz-token", use_keyword_standins=True,
                                  rate_limit_ip="1000000/minute", rate_limit_sender="1000000/minute")
        runtime = build_runtime(settings_, env={})
        app = create_app(runtime)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for op in schema.get_all_operations():
            operation = op.ok()
            start = time.perf_counter()
            cases, failures = _fuzz_operation(operation, api_count)
            rows.append([f"{operation.method.upper()} {operation.path}", cases,
                         f"{time.perf_counter() - start:.1f}", failures[0] if failures else "none"])
        runtime.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="generated inputs per parser target")
    parser.add_argument("--api-count", type=int, default=200, help="generated requests per API operation")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", default="", help="comma-separated targets (telegram,slack,twilio,email,"
                        "answers,api)")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    if only != {"api"}:
        rows = run_targets(args.count, args.seed, only - {"api"})
        print(table(["parser", "cases", "seconds", "crash"], rows))
    if not only or "api" in only:
        print()
        print(table(["API operation (schemathesis)", "cases", "seconds", "5xx / failure"],
                    run_api(args.api_count)))


if __name__ == "__main__":
    main()
