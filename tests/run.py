#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test of the product and print "N passed, N failed" last.

  tests/run.py              everything: user-space units, then VM scenarios
  tests/run.py -k chain     only tests whose name contains "chain"
  tests/run.py --list       list the test groups
  tests/run.py --no-build   use the kernels already built (no kernel.sh)

The VM kernels the selected scenarios need are built by a background
thread while the tests run (tests/kernels.py); scenarios run grouped by
kernel variant, in the order the kernels are built.

Results are written as TAP to build/results.tap; VM serial logs land in
build/logs/<scenario>.log. A failed VM scenario prints its last 30 log
lines. Exit status is non-zero when anything failed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "vm"))
import rig  # noqa: E402
import scenarios  # noqa: E402
import kernels  # noqa: E402

TOP = rig.TOP
BUILD = rig.BUILD


class Tap:
    def __init__(self, path):
        self.f = open(path, "w")
        self.n = 0
        self.passed = 0
        self.failed = 0

    def result(self, ok, name, diag=()):
        self.n += 1
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        line = "%s %d - %s" % ("ok" if ok else "not ok", self.n, name)
        print(line, flush=True)
        self.f.write(line + "\n")
        for d in diag if not ok else ():
            print("#   " + d)
            self.f.write("#   " + d + "\n")
        self.f.flush()

    def comment(self, text):
        print("# " + text, flush=True)
        self.f.write("# " + text + "\n")


UNIT_TAP = re.compile(r"^(ok|not ok) \d+ (.*)$")


def run_units(tap, pattern):
    """Build tests/unit and run every binary it lists; parse kselftest TAP."""
    p = subprocess.run(["make", "-s", "-C", os.path.join(TOP, "tests/unit"),
                        "B=" + BUILD, "list"], capture_output=True, text=True)
    if p.returncode:
        tap.result(False, "unit: build", p.stderr.splitlines()[-30:])
        return
    for exe in p.stdout.split():
        base = os.path.basename(exe)
        if pattern and pattern not in "unit/" + base:
            continue
        t0 = time.monotonic()
        r = subprocess.run([exe], capture_output=True, text=True, timeout=1800)
        seen = 0
        for line in r.stdout.splitlines():
            m = UNIT_TAP.match(line)
            if m:
                seen += 1
                tap.result(m.group(1) == "ok", "unit/%s: %s" % (base, m.group(2)))
        if r.returncode or not seen:
            tap.result(False, "unit/%s: exit status %d" % (base, r.returncode),
                       (r.stdout + r.stderr).splitlines()[-30:])
        tap.comment("unit/%s: %.1fs" % (base, time.monotonic() - t0))


def run_fuzz(tap):
    """The handover validator and the live update record parsers under
    libFuzzer, ASan and UBSan, bounded: FUZZ_SECONDS for each target.
    Lines of the live update target start with "liveupdate: "."""
    secs = os.environ.get("FUZZ_SECONDS", "25")
    p = subprocess.run(["make", "-s", "-C", os.path.join(TOP, "tests/fuzz"),
                        "B=" + BUILD, "run", "SECONDS=" + secs],
                       capture_output=True, text=True)
    seen = 0
    lines = (p.stdout + p.stderr).splitlines()
    for line in lines:
        m = UNIT_TAP.match(line)
        if m:
            seen += 1
            target, desc = "handover", m.group(2)
            if desc.startswith("liveupdate: "):
                target, desc = "liveupdate", desc[len("liveupdate: "):]
            tap.result(m.group(1) == "ok", "fuzz/%s: %s" % (target, desc),
                       lines[-30:])
    if p.returncode or not seen:
        tap.result(False, "fuzz: build or run", lines[-30:])


def run_style(tap):
    """checkpatch --strict and kernel-doc over the series: one result."""
    p = subprocess.run([os.path.join(TOP, "scripts/check.sh")],
                       capture_output=True, text=True)
    tap.result(p.returncode == 0,
               "style: checkpatch --strict, kernel-doc and no x86-only clock in generic code, on linux/",
               (p.stdout + p.stderr).splitlines()[-30:])


def run_newest_base(tap):
    """The series against the newest linux-source-6.12 apt offers."""
    p = subprocess.run([os.path.join(TOP, "scripts/newest-base.sh")],
                       capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    newest = lines[0].split()[5] if lines and "newest is" in lines[0] else "?"
    tap.result(p.returncode == 0,
               "base: the whole series applies to the newest linux-source-6.12 (%s)" % newest.rstrip(","),
               [l for l in lines if "FAIL" in l or ":   " in l] or lines[-30:])


def run_fresh_tree(tap):
    """scripts/tree.sh into an empty build directory, as on a new machine
    (CI), then again: the second run must change nothing."""
    d = tempfile.mkdtemp(prefix="kho-tree-")
    env = dict(os.environ, B=d)
    try:
        tree = os.path.join(TOP, "scripts/tree.sh")
        p1 = subprocess.run([tree], env=env, capture_output=True, text=True)
        out = (p1.stdout + p1.stderr).splitlines()
        mk = os.path.join(d, "linux/Makefile")
        ok = p1.returncode == 0 and os.path.exists(mk)
        if ok:
            before = os.stat(mk).st_mtime
            p2 = subprocess.run([tree], env=env, capture_output=True, text=True)
            out += (p2.stdout + p2.stderr).splitlines()
            ok = (p2.returncode == 0 and not p2.stdout.strip()
                  and os.stat(mk).st_mtime == before)
        tap.result(ok, "base: scripts/tree.sh applies the series in an empty "
                   "build directory, and a second run changes nothing",
                   out[-30:])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_debcfg(tap, arch):
    """Every object the series adds or touches, built with Debian's own
    config for @arch (scripts/debcfg.sh): no warning, no failure."""
    p = subprocess.run([os.path.join(TOP, "scripts/debcfg.sh"), arch],
                       capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    tap.result(p.returncode == 0,
               "debian-config/%s: the series' objects build with Debian's "
               "%s config, no warnings" % (arch, arch),
               [l for l in lines if "debcfg: " in l][-30:])


def context(res, line, before=3, after=25):
    """The log lines around @line (a kernel report and its trace)."""
    i = 0
    for j, l in enumerate(res.log):
        if l.strip() == line:
            i = j
            break
    return res.log[max(0, i - before):i + after]


def wait_kernel(tap, builder, sc, seen):
    """Wait for the kernel of @sc's variant; False (and one failed result)
    when it did not build. The first wait for a variant reports it."""
    v = sc["run"].get("variant") or ""
    t0 = time.monotonic()
    ok, secs, log, tail = builder.wait(v)
    if v not in seen:
        seen.add(v)
        what = "the %s kernel and initramfs" % (v or "plain x86")
        tap.comment("%s: built in %.0fs in the background, waited %.0fs, "
                    "log %s" % (what, secs, time.monotonic() - t0, log))
        tap.result(ok, "build: %s build (scripts/kernel.sh, "
                   "scripts/initramfs.sh)" % what,
                   ["log tail (%s):" % log] + tail)
    if not ok:
        tap.result(False, "vm/%s: not run, its kernel did not build" %
                   sc["name"])
    return ok


def run_vm(tap, sc):
    res = rig.run(**sc["run"])
    name = "vm/" + sc["name"]
    tap.comment("%s: %s accel, %.1fs, log %s" % (name, rig.accel(), res.wall,
                                                 res.logfile))
    check = sc.get("check")
    if check:
        for ok, desc, diag in check(res):
            tap.result(ok, "%s: %s" % (name, desc), diag)
        return
    for ok, desc in res.checks:
        tap.result(ok, "%s: %s" % (name, desc))
    for err in res.errors:
        tap.result(False, "%s: %s" % (name, err),
                   ["log tail (%s):" % res.logfile] + res.tail())
    if not res.errors:
        tap.result(res.ok, "%s: chain of %d generation(s) completed" %
                   (name, len(res.gens_done)),
                   [] if res.ok else ["log tail:"] + res.tail())
    extra = sc.get("extra")
    if extra:
        for ok, desc, diag in extra(res):
            tap.result(ok, "%s: %s" % (name, desc), diag)
    # a kernel check that fired fails the scenario, unless it is the
    # report the scenario provokes ("reports": substrings of its lines)
    allowed = sc.get("reports", ())
    bad = [(g, l) for g, l in res.reports if not any(a in l for a in allowed)]
    tap.result(not bad, "%s: no kernel report (WARNING, BUG, KASAN, UBSAN, "
               "lockdep)" % name,
               ["gen%d: %s" % r for r in bad[:10]] +
               (["log (%s) around the first:" % res.logfile] +
                context(res, bad[0][1]) if bad else []))


def run_prev(tap):
    """The previous release's kernel, for the upgrade scenarios
    (scripts/prev.sh)."""
    p = subprocess.run([os.path.join(TOP, "scripts/prev.sh")],
                       capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    what = next((l[len("prev: "):] for l in lines if " on linux-source" in l),
                "?")
    tap.result(p.returncode == 0,
               "upgrade: the previous release's kernel builds (%s)" % what,
               lines[-30:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="run only tests matching this")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--no-unit", action="store_true")
    ap.add_argument("--no-vm", action="store_true")
    ap.add_argument("--no-build", action="store_true",
                    help="do not build the VM kernels, use build/ as it is")
    ap.add_argument("--debug", action="store_true",
                    help="every plain x86 scenario on the KASAN kernel "
                    "(make test-debug), no unit tests")
    a = ap.parse_args()
    if a.debug:
        a.no_unit = True
        scenarios.SCENARIOS = list(scenarios.debug_scenarios())
    if a.list:
        print("unit/*")
        for sc in scenarios.SCENARIOS:
            print("vm/" + sc["name"])
        return 0
    os.makedirs(BUILD, exist_ok=True)
    tap = Tap(os.path.join(BUILD, "results.tap"))
    t0 = time.monotonic()
    vms = [] if a.no_vm else [sc for sc in scenarios.SCENARIOS
                              if not a.k or a.k in "vm/" + sc["name"]]
    # grouped by kernel, in build order (sorted() is stable)
    vms = sorted(vms, key=lambda sc: kernels.rank(sc["run"].get("variant")))
    builder = None
    if vms and not a.no_build:
        builder = kernels.Builder(TOP, BUILD, [sc["run"].get("variant")
                                               for sc in vms]).start()
    if not a.no_unit:
        run_units(tap, a.k)
        if not a.k or a.k in "style":
            run_style(tap)
        if not a.k or a.k in "fuzz":
            run_fuzz(tap)
        if not a.k or a.k in "base":
            run_newest_base(tap)
            run_fresh_tree(tap)
        for arch in ("amd64", "arm64"):
            if not a.k or a.k in "debian-config/" + arch:
                run_debcfg(tap, arch)
    seen = set()
    prev_built = False
    for sc in vms:
        if builder and not wait_kernel(tap, builder, sc, seen):
            continue
        # after HEAD's plain kernel, whose objects ccache serves it
        if sc["name"].startswith("upgrade-") and not prev_built:
            prev_built = True
            run_prev(tap)
        prepare = sc.get("prepare")
        if prepare and not prepare(tap):
            tap.result(False, "vm/%s: not run, its preparation failed" %
                       sc["name"])
            continue
        run_vm(tap, sc)
    tap.comment("results in %s, %.0fs" % (tap.f.name, time.monotonic() - t0))
    tap.f.write("1..%d\n" % tap.n)
    tap.f.close()
    print("%d passed, %d failed" % (tap.passed, tap.failed))
    return 1 if tap.failed or not tap.n else 0


if __name__ == "__main__":
    sys.exit(main())
