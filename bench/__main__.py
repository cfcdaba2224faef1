"""Benchmarks: what the platform costs per request, as ratios against reference runs in the same
process or the same run (these machines are noisy). Runs on the local emulator (moto server),
prints a table and writes bench/results.json.

    scripts/bench                         # the full run
    scripts/bench --tiny                  # every figure on a tiny configuration (what tests/test_bench.py runs)
    scripts/bench --phases flags,ofrep    # only these phases (the report then holds only their figures)

Exits non-zero when any figure cannot be measured: no made-up or default numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.core import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, Config, Results, commit, machine

# Phase name -> (what it measures, whether it runs on the emulator with the fixtures (World)), in
# the order they run; the portal makes a stack of its own.
PHASES = {
    "cold_start_lambda": ("cold start of the packaged bundle as Lambda runs it", True),
    "cold_start_venv": ("cold start in this virtualenv (bytecode cached)", True),
    "round_trips": ("round trips per route", True),
    "latency": ("handler latency", True),
    "memory": ("memory", True),
    "orchestration": ("deployment orchestration", True),
    "ofrep": ("OFREP through the handler", True),
    "flags": ("flag evaluation against the LaunchDarkly and Unleash SDKs", True),
    "scale": ("items examined per list page", True),
    "portal": ("portal in chromium: first-visit size, API calls per page, lighthouse", False),
}


@contextlib.contextmanager
def quiet_stdout():
    """Powertools prints each request's EMF metrics to stdout; the table goes there at the end."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


@contextlib.contextmanager
def emulator_output(path: Path):
    """Processes started in this block (the emulator) write their stderr to ``path``: moto's Step
    Functions print every expected failure (a cancel beating a step) with the whole state machine.
    The table and this process's own messages stay readable."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "w") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _run_phase(name: str, results: Results, log, measure) -> None:
    log(PHASES[name][0])
    try:
        measure()
    except Exception as error:  # noqa: BLE001 - one broken figure must not hide the others; the exit is non-zero
        results.fail(name, f"{type(error).__name__}: {error}")


def _stack_phases(wanted: list[str], env: dict, config: Config, results: Results, log) -> None:
    from bench.fixtures import World
    from bench.harness import Harness
    from bench.phases import coldstart, flags, latency, memory, ofrep, orchestration, round_trips, scale

    os.environ.update(env)
    with quiet_stdout():
        harness = Harness()
        log("fixtures")
        try:
            world = World(harness, config.bulk_flags, ADMIN_EMAIL, ADMIN_PASSWORD)
        except Exception as error:  # noqa: BLE001 - reported as figures not measured, and a non-zero exit
            for name in wanted:
                results.fail(name, f"the fixtures could not be made: {error!r}")
            return
        measures = {
            "cold_start_lambda": lambda: coldstart.measure_packaged(env, world, config, results, log),
            "cold_start_venv": lambda: coldstart.measure_venv(env, config, results),
            "round_trips": lambda: round_trips.measure(harness, world, results),
            "latency": lambda: latency.measure(harness, world, config, results),
            "ofrep": lambda: ofrep.measure(harness, world, config, results, log),
            "memory": lambda: memory.measure(world, config, results),
            "orchestration": lambda: orchestration.measure(harness, world, config, results, log),
            "scale": lambda: scale.measure(harness, world, config, results, log),
            "flags": lambda: flags.measure(world, config, results),
        }
        for name in wanted:
            _run_phase(name, results, log, measures[name])


def main() -> int:
    parser = argparse.ArgumentParser(description="IDP benchmarks on the local emulator")
    parser.add_argument("--tiny", action="store_true", help="every figure on a tiny configuration")
    parser.add_argument("--phases", help=f"comma-separated, from: {', '.join(PHASES)} (default: all)")
    parser.add_argument("--cold-runs", type=int, help="alternated runs per side of the cold starts")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    wanted = args.phases.split(",") if args.phases else list(PHASES)
    unknown = sorted(set(wanted) - set(PHASES))
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(unknown)}")
    wanted = [name for name in PHASES if name in wanted]
    config = Config.tiny() if args.tiny else Config()
    if args.cold_runs:
        config.cold_runs = args.cold_runs
    started = time.monotonic()
    console = os.fdopen(os.dup(2), "w", buffering=1)  # stays the terminal while the emulator's output is elsewhere

    def log(message: str) -> None:
        print(f"[bench {time.monotonic() - started:4.0f} s] {message}", file=console, flush=True)

    report_machine, report_commit = machine(), commit()
    results = Results()
    handle, emulator_log = tempfile.mkstemp(prefix="idp-bench-emulator-", suffix=".log")
    os.close(handle)
    emulator_log = Path(emulator_log)
    on_stack = [name for name in wanted if PHASES[name][1]]
    if on_stack:
        from devstack import DevStack, free_port

        base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        base_env.pop("IDP_STATE_MACHINE_ARN", None)
        base_env.update({"IDP_BCRYPT_ROUNDS": "4", "IDP_LOG_LEVEL": "WARNING", "IDP_ADMIN_EMAIL": ADMIN_EMAIL,
                         "IDP_ADMIN_PASSWORD": ADMIN_PASSWORD, "IDP_STEP_TIME_SCALE": str(config.deploy_scale),
                         "IDP_DEPLOY_SUCCESS_RATE": "100", "IDP_AUTH_CACHE_SECONDS": "60",
                         "IDP_FLAG_CACHE_SECONDS": "60", "POWERTOOLS_METRICS_NAMESPACE": "IDP",
                         "POWERTOOLS_TRACE_DISABLED": "true"})
        stack = DevStack(emulator_port=free_port(), table_prefix="idp-bench", env=base_env, serve_api=False, log=log)
        try:
            with emulator_output(emulator_log):
                stack.start()
            _stack_phases(on_stack, stack.app_env(), config, results, log)
        finally:
            stack.stop()
    if "portal" in wanted:
        from bench.phases import portal

        _run_phase("portal", results, log, lambda: portal.measure(results, log, tiny=args.tiny))

    from bench.report import render_table

    report = {
        "command": " ".join(["scripts/bench", *sys.argv[1:]]).replace(f" --out {args.out}", ""),
        "phases": wanted,
        "figures": results.figures,
        "missing": results.missing,
        "config": asdict(config),
        "machine": report_machine,
        "commit": report_commit,
        "tiny": args.tiny,
        "elapsed_s": round(time.monotonic() - started, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(render_table(report))
    if results.missing:
        for item in results.missing:
            print(f"NOT MEASURED: {item['figure']}: {item['reason']}", file=sys.stderr)
        print(f"(the emulator's own output: {emulator_log})", file=sys.stderr)
        return 1
    emulator_log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
