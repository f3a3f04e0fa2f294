#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM benchmark: keeping preserved memory out of the buddy allocator.

For each workload, one chain in one VM: generation 1 cold-boots and the
chain test preserves the pages; generation 2 applies the handover in
memblock_reserve mode (the reference), re-preserves the same pages
(churn 0); generation 3 applies it in bitmap mode. Both modes thus see
the same pages in the same VM, in the same run. Measured in the incoming
kernel with local_clock(): the time spent keeping preserved memory out
of the allocator (memblock_reserve() of every block, or the bitmap
lookups while memory is released) and the whole of mem_init().

Then boot cost of KHO with nothing preserved (kexec with kho=on vs
kho=off) and the kexec reboot time with 1 GiB preserved vs a plain kexec.

    bench/vm/run.py [--mem 8G] [--sizes 256M,1G] [--quick] [--keep-only]
                    [--timeout SECONDS] [--out FILE]

Prints a table and writes it to bench/results/vm-DATE.txt (or --out).
memblock mode is quadratic in the number of blocks: 4 GiB of scattered
order-0 pages takes hours under TCG, hence --timeout (seconds without a
line on the console before the run counts as hung).
"""

import argparse
import datetime
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/vm"))
import rig  # noqa: E402

TOP = rig.TOP


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def keep_chain(label, size, mem, extra, timeout):
    append = ("kho=on test_kho.size=%s test_kho.churn=0 test_kho.check_alloc=0 "
              "rig.next2.kho_mode=memblock rig.next3.kho_mode=bitmap %s"
              % (size, extra))
    res = rig.run("kho@bench-" + label, gens=3, mem=mem, smp=2,
                  append=append, boot_timeout=timeout)
    out = {}
    for g, mode in ((2, "memblock"), (3, "bitmap")):
        i = res.info.get(g, {})
        out[mode] = (int(i.get("keep_ns", -1)), int(i.get("mem_init_ns", -1)),
                     int(i.get("restored", -1)))
    return res, out


def uptime_gen2(append, runs, mem):
    vals = []
    for k in range(runs):
        res = rig.run("kho@bench-boot", gens=2, mem=mem, smp=2,
                      append=append)
        if 2 in res.gen_uptime:
            vals.append(res.gen_uptime[2])
    return vals


def kexec_time(append, mem, label):
    res = rig.run("kho@bench-" + label, gens=2, mem=mem, smp=2, append=append,
                  boot_timeout=600)
    # host seconds from generation 1's "done" line to generation 2's init
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mem", default="4G")
    ap.add_argument("--sizes", default="256M,1G")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true",
                    help="one small size, one boot-cost run")
    ap.add_argument("--keep-only", action="store_true",
                    help="only the keep-out-of-the-allocator table")
    ap.add_argument("--no-mixed", action="store_true",
                    help="skip the mixed-order workload")
    ap.add_argument("--timeout", type=int, default=3600,
                    help="seconds without console output before a hang")
    ap.add_argument("--out", help="result file (default "
                    "bench/results/vm-DATE.txt)")
    a = ap.parse_args()
    if a.quick:
        a.sizes, a.runs = "128M", 1
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out("# KHO VM benchmark, %s, %s, accel %s, guest %s, 2 vCPUs" %
        (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), cpu_model(),
         rig.accel(), a.mem))
    out()
    out("## Keeping preserved memory out of the allocator (same VM, same run)")
    out("%-34s %12s %14s %14s %9s" % ("workload", "mode", "keep (ms)",
                                      "mem_init (ms)", "pages"))
    ratios = []
    work = []
    for size in a.sizes.split(","):
        work.append(("%s random order-0, scattered" % size, size,
                     "test_kho.max_order=0 test_kho.scatter=1"))
    if not a.no_mixed:
        work.append(("%s mixed orders 0..10" % a.sizes.split(",")[-1],
                     a.sizes.split(",")[-1], ""))
    for label, size, extra in work:
        tag = label.split()[0] + ("-mixed" if "mixed" in label else "")
        res, r = keep_chain(tag, size, a.mem, extra, a.timeout)
        if res.errors or r["bitmap"][0] < 0 or r["memblock"][0] < 0:
            out("%-34s FAILED: %s (log %s)" % (label, res.errors or
                                               [d for ok, d in res.checks
                                                if not ok][:2], res.logfile))
            continue
        for mode in ("memblock", "bitmap"):
            keep, mi, _ = r[mode]
            out("%-34s %12s %14.2f %14.2f %9s" %
                (label, mode, keep / 1e6, mi / 1e6,
                 res.info.get(2, {}).get("restored", "?")))
        if r["bitmap"][0] > 0:
            ratio = r["memblock"][0] / r["bitmap"][0]
            ratios.append((label, ratio))
            out("%-34s %12s %14.1fx %13.2fx" %
                (label, "ratio", ratio,
                 r["memblock"][1] / max(r["bitmap"][1], 1)))
    if not a.keep_only:
        boot_and_kexec(a, out)
    verdicts(ratios, out)
    os.makedirs(os.path.join(TOP, "bench/results"), exist_ok=True)
    path = a.out or os.path.join(TOP, "bench/results", "vm-%s.txt" %
                                 datetime.date.today().isoformat())
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("written to %s" % path)
    return 0


def boot_and_kexec(a, out):
    """Boot cost with nothing preserved, and kexec time with 1 GiB kept."""
    out()
    out("## Boot cost of KHO with nothing preserved (kernel start to init)")
    # the chain test only publishes an empty list and checks nothing
    quiet = "test_kho.check_alloc=0 test_kho.churn=0 "
    on = uptime_gen2(quiet + "kho=on test_kho.size=0", a.runs, "1G")
    off = uptime_gen2(quiet + "kho=off rig.kho_off=1", a.runs, "1G")
    for name, v in (("kho=on, nothing preserved", on), ("kho=off", off)):
        if v:
            out("%-34s median %6.0f ms  (runs: %s)" %
                (name, statistics.median(v), ", ".join(map(str, v))))
    if on and off:
        out("%-34s %.3f" % ("ratio on/off", statistics.median(on) /
                            statistics.median(off)))
    out()
    out("## kexec reboot, 1 GiB preserved vs plain kexec (host wall time from")
    out("##   generation 1 done to generation 2's init; the chain test restores")
    out("##   the 1 GiB but does not check its bytes: verify=0)")
    t = {}
    for name, app in (("KHO, 1 GiB preserved",
                       "kho=on test_kho.size=1G test_kho.check_alloc=0 "
                       "test_kho.verify=0 test_kho.churn=0"),
                      ("plain kexec (kho=off)", "kho=off rig.kho_off=1")):
        res = kexec_time(app, "2G", "kexec-" + name.split()[0].lower())
        if 2 in res.gen_start and 1 in res.done_at:
            # shutdown + relocation + boot of generation 2 up to its init
            up = res.gen_uptime.get(2, 0) / 1000.0
            t[name] = res.gen_start[2] - res.done_at[1] + up
            out("%-34s %6.2f s  (kexec to kernel start %.2f s, kernel to "
                "init %.2f s)" % (name, t[name],
                                  res.gen_start[2] - res.done_at[1], up))
    if len(t) == 2:
        vals = list(t.values())
        out("%-34s %.3f" % ("ratio KHO/plain", vals[0] / vals[1]))


def verdicts(ratios, out):
    """One line per workload against the 10x target."""
    out()
    for label, ratio in ratios:
        if "order-0" not in label:
            out("(%s: ratio %.1fx, informational: the 10x target is for "
                "random order-0 pages; few large blocks make few memblock "
                "ranges)" % (label, ratio))
            continue
        out("target bitmap >= 10x faster than memblock (%s): %s (%.1fx)" %
            (label, "PASS" if ratio >= 10 else "MISS", ratio))


if __name__ == "__main__":
    sys.exit(main())
