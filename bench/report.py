"""The table scripts/bench prints from a report (what bench/results.json holds)."""
from __future__ import annotations


def _fmt_ops(ops: list[str]) -> str:
    return "+".join(ops) if ops else "-"


def render_table(report: dict) -> str:
    f = report["figures"]
    out = [f"IDP benchmarks ({report['command']}, commit {str(report['commit']['sha'])[:10]}"
           f"{' +local changes' if report['commit']['dirty'] else ''}, {report['machine']['cpus']} CPUs)", ""]

    def line(label: str, value: str) -> None:
        out.append(f"{label:<46} {value}")

    if "cold_start_lambda" in f:
        c = f["cold_start_lambda"]
        for request, row in c["per_request"].items():
            line(f"cold start as Lambda runs it, {request}",
                 f"{row['median_ratio']:.2f}  target <= {c['target_ratio']}  {'OK' if row['meets_target'] else 'MISS'}")
            line("  app | bare, medians (import | request)",
                 f"{row['app_median_s'] * 1000:.0f} ms ({row['app_import_median_s'] * 1000:.0f} | "
                 f"{row['app_request_median_s'] * 1000:.0f}) | {row['bare_median_s'] * 1000:.0f} ms "
                 f"({row['bare_import_median_s'] * 1000:.0f} | {row['bare_request_median_s'] * 1000:.0f})")
            line("  AWS calls, app | bare", f"{'+'.join(row['app_aws_calls'])} | {'+'.join(row['bare_aws_calls'])}")
        line("  bundle", f"{c['bundle_pyc_files']} .pyc files shipped, {c['runs']} alternated runs per side")
        w = c["health_without_bytecode"]
        line("  /health without the bundle's bytecode", f"{w['median_ratio']:.2f} ({w['app_median_s'] * 1000:.0f} ms, "
                                                       f"{w['runs']} runs; what chalice package alone ships)")
    if "cold_start_venv" in f:
        c = f["cold_start_venv"]
        times = f"app {c['app_median_s'] * 1000:.0f} ms | bare {c['bare_median_s'] * 1000:.0f} ms"
        line("cold start in this virtualenv, /health", f"{c['median_ratio']:.2f} ({times}; bytecode cached; not Lambda)")
    if "round_trips" in f:
        r = f["round_trips"]
        a = r["authorization"]
        out.append("")
        line("AWS calls per request (warm caches)", f"{r['routes']} routes, {len(r['misses'])} over target, "
                                                     f"{r['scans']} Scans")
        line("  authorization, user token | SDK key", f"warm {a['user_token_warm']} | {a['sdk_key_warm']}  "
                                                      f"(cold {a['user_token_cold']} | {a['sdk_key_cold']})")
        fill = r["flag_cache_fill"]
        line("  flag cache fill (once per TTL)", f"{fill['calls']} call(s) for {fill['flags']} flags")
        for route, row in r["per_route"].items():
            mark = "ok " if row["meets_target"] else "OVER"
            ops = _fmt_ops(row["dynamodb"] + row["stepfunctions"])
            out.append(f"  {mark} {route:<44} {row['calls']} (target {row['target']})  {ops}")
            if row["why"]:
                out.append(f"        why: {row['why']}")
    if "scale" in f:
        s = f["scale"]
        small, large = (str(n) for n in s["sizes"])
        out.append("")
        line(f"items examined, first page of {s['limit']}", f"with {small} | {large} items in the table "
                                                            f"(target same, <= {s['limit'] + 1})")
        for route, row in s["per_list"].items():
            sizes = row["sizes"]
            if small in sizes and large in sizes:
                line(f"  {'ok ' if row['meets_target'] else 'MISS'} {route}",
                     f"{sizes[small]['examined']} | {sizes[large]['examined']}")
    if "latency" in f:
        lat = f["latency"]
        out.append("")
        line("handler latency, ms", f"p50 / p99 total; data store p50; ours p50 / p99; ours / reference "
                                    f"({lat['reference_p50_ms']} ms)")
        for name, row in lat["per_route"].items():
            line(f"  {name}", f"{row['p50_ms']} / {row['p99_ms']}; {row['datastore_p50_ms']}; "
                              f"{row['own_p50_ms']} / {row['own_p99_ms']}; x{row['own_p50_vs_reference']}")
    if "memory" in f:
        m = f["memory"]
        out.append("")
        line(f"peak RSS, {m['requests']} mixed requests",
             f"{m['peak_rss_mb']} MB (after import {m['after_import_rss_mb']} MB; bare {m['bare_peak_rss_mb']} MB)  "
             f"target <= 100  {'OK' if m['meets_target'] else 'MISS'}")
    if "orchestration" in f:
        o = f["orchestration"]
        out.append("")
        line("deployment: trigger -> terminal - seed time",
             f"{o['overhead_median_s']:+.2f} s median of {o['runs']} (seed {o['seed_s']} s, waits {o['waits_s']} s)  "
             f"target <= 0.5  {'OK' if o['meets_target'] else 'MISS'}")
        line("  202 after | RUNNING visible after", f"{o['accepted_median_s'] * 1000:.0f} ms | "
                                                    f"{o['running_visible_median_s']:.2f} s")
    if "ofrep" in f:
        o = f["ofrep"]
        out.append("")
        line("OFREP through the handler, requests/s", f"one flag {o['single_rps']:,} | {o['flags_in_bulk']} flags "
                                                      f"{o['bulk_rps']:,} | bare Chalice POST {o['reference_rps']:,}")
        line("  one flag / bare route", f"x{o['single_vs_reference']:.2f}; ours by difference "
                                        f"{o['single_share_ours_by_difference']:.0%} of a request")
        line("  own time by origin (profile)", ", ".join(f"{k} {v:.0%}" for k, v in o["single_own_time_by_origin"].items()))
    if "flags_vs_sdks" in f:
        p = f["flags_vs_sdks"]
        rates, vs = p["per_s"], p["ours_vs"]
        out.append("")
        line("flag evaluations/s, one core (median)", f"ours {rates['ours']:,} (the evaluator alone "
                                                     f"{rates['ours_evaluator']:,})  {'OK' if p['meets_target'] else 'MISS'}")
        for sdk, title in (("launchdarkly", "LaunchDarkly"), ("unleash", "Unleash")):
            line(f"  {title} SDK {p['sdks'][sdk]}", f"{rates[sdk]:,}  ours x{vs[sdk]:.1f}  target >= "
                                                   f"x{p['targets']['vs_each_sdk']:.0f}")
        evaluator = p["ours_evaluator_vs_bare_sha256"]
        line("  bare SHA-256 bucket", f"{rates['bare_sha256']:,}  ours x{vs['bare_sha256']:.2f} (evaluator x{evaluator:.2f})"
                                      f"  target >= x{p['targets']['vs_bare_sha256']}")
    if "portal" in f:
        portal = f["portal"]
        size = portal["first_visit_services"]
        out.append("")
        within = size["total_gzip_kb"] <= size["aim_kb"]
        line("portal: JS + CSS of a first visit of /services", f"{size['total_gzip_kb']} KB gzip (JS {size['js_gzip_kb']}, "
             f"CSS {size['css_gzip_kb']})  aim <= {size['aim_kb']}  {'OK' if within else 'MISS'}")
        if "first_visit_flags" in portal:
            flags = portal["first_visit_flags"]
            within = flags["total_gzip_kb"] <= flags["aim_kb"]
            line("portal: JS + CSS of a first visit of /flags", f"{flags['total_gzip_kb']} KB gzip (JS {flags['js_gzip_kb']}, "
                 f"CSS {flags['css_gzip_kb']})  aim <= {flags['aim_kb']}  {'OK' if within else 'MISS'}")
        for page, row in portal["lighthouse"].items():
            ok = min(row["performance"], row["accessibility"]) >= portal["score_aim"]
            line(f"  lighthouse {page}", f"performance {row['performance']}, accessibility {row['accessibility']}  "
                                         f"aim >= {portal['score_aim']}  {'OK' if ok else 'MISS'}")
        line("  API calls, first view", ", ".join(f"{page} {row['count']}"
                                                   for page, row in portal["api_calls_first_view"].items()))
    if report["missing"]:
        out.append("")
        for item in report["missing"]:
            out.append(f"NOT MEASURED: {item['figure']}: {item['reason']}")
    return "\n".join(out)


