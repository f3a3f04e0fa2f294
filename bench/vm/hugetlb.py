#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM benchmark: keeping a hugetlb memfd across a reboot with live update,
next to a shmem memfd and to the disk way, in the same run.

Each configuration is a chain of two generations in its own VM
(tools/init/lu_hbench.c): generation 1 fills a memfd through a shared
mapping, writes it to a virtio-blk disk (O_DIRECT, 4 MiB at a time, then
fsync) and preserves it (CREATE_SESSION + PRESERVE_FD); generation 2
retrieves it (RETRIEVE_SESSION + RETRIEVE_FD), checks every byte,
FINISHes, closes it and reads the disk back into a new memfd of the same
kind, checked too. Both generations have a pool of the hugetlb pages the
memfd needs (the second from hugepages= on its command line, as a host
would boot). The configurations, by default:

    shmem 1 GiB, hugetlb 2 MiB pages 1 GiB, hugetlb 1 GiB pages 1 GiB
    (each with the disk way), hugetlb 1 GiB pages 2 GiB and 4 GiB

Before the timed memfd, a one-page memfd of the same kind goes through
the same calls in a session of its own, in both generations: TCG
translates guest code the first time it runs, which makes the first
call down each path in a boot cost milliseconds a real CPU does not pay
(the first calls' times are printed on their own line: preserve,
retrieve, and the next kernel's taking back of their session at boot,
its restore_us= in /sys/kernel/liveupdate/sessions).

Live update is charged CREATE_SESSION + PRESERVE_FD + RETRIEVE_SESSION +
RETRIEVE_FD + FINISH, plus what the next kernel spends on it while
booting: keeping the preserved memory out of its allocator (kho/status
incoming_keep_ns) and taking the files back at late_initcall (its
"sessions handed over" line, less the first calls' session), plus what
first use pays (one lseek(SEEK_DATA): the page cache fill of a lazily
restored shmem memfd; nothing for hugetlb, whose pages are in the file
when RETRIEVE_FD returns). The disk way is charged the write and the read into a new
memfd.

Targets: with 2 MiB pages, at least 200x faster than the disk way; with
1 GiB pages, a per-GiB cost that does not grow with the size (the 4 GiB
figure per GiB at most 1.5 times the 1 GiB one). Every figure is the
median of --runs chains (this machine's CPU time varies by tens of
percent between runs).

    bench/vm/hugetlb.py [--runs 3] [--only KIND:SIZE[,...]] [--out FILE]

Uses the bench kernel (linux/kho-bench.config, as bench/vm/liveupdate.py).
Prints a table and writes it to bench/results/hugetlb-DATE.txt.
"""

import argparse
import datetime
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import liveupdate as lub  # noqa: E402

rig = lub.rig
GiB = 1 << 30
CONFIGS = [("shmem", "1G", True), ("2m", "1G", True), ("1g", "1G", True),
           ("1g", "2G", False), ("1g", "4G", False)]
KIND = {"shmem": "shmem memfd (4 KiB pages)",
        "2m": "hugetlb memfd, 2 MiB pages",
        "1g": "hugetlb memfd, 1 GiB pages"}


def vm_mem(kind, size):
    """Guest RAM for a memfd of @size bytes of @kind, as QEMU's -m."""
    gib = size // GiB
    if kind == "shmem":
        return "%dG" % (2 * gib + 1)
    # the kept pages, the next kernel's pool of as many, scratch and room;
    # with 1 GiB pages the first calls' memfd is one more in each
    if kind == "1g":
        gib += 1
    return "%dG" % (2 * gib + 3)


def figures(res, disk):
    """One chain's figures in us, or None if one is missing."""
    g1, g2 = res.info.get(1, {}), res.info.get(2, {})
    try:
        f = {"pres": int(g1["hb_preserve_us"]),
             "ret": int(g2["hb_retrieve_us"]),
             "fin": int(g2["hb_finish_us"]),
             "fill": int(g2["hb_fill_us"]),
             "keep": int(g2.get("keep_ns", 0)) // 1000,
             "pages": int(g2["hb_in_preserved_pages"]),
             "wpres": int(g1["hb_warm_preserve_us"]),
             "wret": int(g2["hb_warm_retrieve_us"]),
             "wboot": int(g2["hb_warm_boot_us"]),
             "tracker": int(g2["hb_in_tracker_pages"])}
        taken = [int(m.group(1)) for m in
                 (lub.TAKEN_RE.search(ln) for ln in res.log) if m]
        # the first calls' session is taken back at boot too: its part
        # of the handlers' time goes with the first calls
        f["boot"] = taken[-1] - f["wboot"]
        if f["wboot"] < 0 or f["boot"] < 0:
            return None
        if disk:
            f["disk"] = int(g1["hb_disk_write_us"]) + int(g2["hb_disk_read_us"])
    except (KeyError, ValueError, IndexError):
        return None
    f["lu"] = f["pres"] + f["ret"] + f["fin"] + f["keep"] + f["boot"] + \
        max(f["fill"], 0)
    return f


def run_config(kind, size_s, disk, runs, timeout, cache):
    """Run @runs chains of one configuration: (list of figures, failed res)."""
    size = lub.size_bytes(size_s)
    img = os.path.join(rig.BUILD, "bench", "hb-disk.img")
    os.makedirs(os.path.dirname(img), exist_ok=True)
    extra = ["-cpu", "qemu64,+pdpe1gb",
             "-drive", "file=%s,if=virtio,format=raw,cache=%s" % (img, cache)]
    out = []
    try:
        for n in range(runs):
            # a new save file per run, as a user saving a VM would write
            # (the first run on an image is otherwise slower than the rest)
            with open(img, "wb") as f:
                f.truncate(size + (64 << 20))
            res = rig.run("kho@lu-hbench-%s-%s" % (kind, size_s.lower()),
                          gens=2, mem=vm_mem(kind, size), smp=2,
                          variant="bench", qemu_extra=extra,
                          boot_timeout=timeout,
                          append="kho=on test_kho.size=0 rig.lu_hbench=%d "
                                 "rig.lu_hb_kind=%s rig.lu_hb_disk=%d" %
                                 (size, kind, 1 if disk else 0))
            fig = figures(res, disk)
            if not res.ok or fig is None:
                return out, res
            out.append(fig)
            print("bench: %s %s run %d of %d: live update %.2f ms%s" %
                  (kind, size_s, n + 1, runs, fig["lu"] / 1000.0,
                   ", disk %.0f ms" % (fig["disk"] / 1000.0) if disk else ""),
                  flush=True)
    finally:
        os.unlink(img)
    return out, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3,
                    help="chains per configuration; figures are their "
                    "medians (default 3)")
    ap.add_argument("--only", help="KIND:SIZE[:disk],... of shmem, 2m, 1g "
                    "(default: all five configurations)")
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds without progress before a hang")
    ap.add_argument("--cache", default="none",
                    help="QEMU cache mode of the disk (default none: the "
                    "read in the next kernel comes from the device, as "
                    "after a real reboot, not from this machine's page "
                    "cache, which writeback would keep warm)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="result file")
    a = ap.parse_args()
    if a.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    configs = CONFIGS
    if a.only:
        configs = []
        for c in a.only.split(","):
            p = c.split(":")
            if len(p) < 2 or p[0] not in KIND:
                raise SystemExit("bench: --only wants KIND:SIZE[:disk]")
            configs.append((p[0], p[1].upper(), len(p) > 2))
    if not a.no_build:
        lub.build()
    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    results = []
    for kind, size_s, disk in configs:
        figs, bad = run_config(kind, size_s, disk, a.runs, a.timeout,
                               a.cache)
        if bad is not None:
            out("bench: %s %s failed" % (kind, size_s))
            return lub.report_failed(out, bad)
        med = {k: statistics.median(f[k] for f in figs) for k in figs[0]}
        ratio = (statistics.median(f["disk"] / max(f["lu"], 1) for f in figs)
                 if disk else None)
        results.append((kind, size_s, disk, med, ratio))

    out("hugetlb live update benchmark, %s" % datetime.date.today())
    out("VM: %s, 2 CPUs, accel %s, -cpu qemu64,+pdpe1gb; disk: virtio-blk "
        "raw image, cache=%s, O_DIRECT in the guest" %
        (os.uname().machine, rig.accel(), a.cache))
    out("figures: the median of %d chains per configuration; live update = "
        "preserve + retrieve + FINISH + the next kernel's boot work + "
        "first use" % a.runs)
    out()
    out("%-28s %5s %9s %9s %9s %9s %9s %11s %9s %8s" %
        ("memfd", "size", "preserve", "retrieve", "finish", "boot",
         "lu total", "lu per GiB", "disk", "ratio"))
    for kind, size_s, disk, m, ratio in results:
        gib = lub.size_bytes(size_s) / GiB
        out("%-28s %5s %7.2fms %7.2fms %7.2fms %7.2fms %7.2fms %9.2fms %7.0fms %8s" %
            (KIND[kind], size_s, m["pres"] / 1e3, m["ret"] / 1e3,
             m["fin"] / 1e3, (m["keep"] + m["boot"]) / 1e3, m["lu"] / 1e3,
             m["lu"] / 1e3 / gib, m["disk"] / 1e3 if disk else 0,
             "%.0fx" % ratio if ratio else "-"))
    out("(boot: keeping preserved memory out of the allocator + taking the "
        "files back at late_initcall, less the first calls' session)")
    out("first calls of a boot, a one-page memfd of the same kind in its own "
        "session, before the timed one (TCG translates code the first time "
        "it runs; not in the figures above):")
    for kind, size_s, disk, m, ratio in results:
        cold = m["lu"] + m["wpres"] + m["wret"] + m["wboot"]
        out("  %-28s %5s: preserve %.2f ms, retrieve %.2f ms, taken back "
            "at boot %.2f ms%s" %
            (KIND[kind], size_s, m["wpres"] / 1e3, m["wret"] / 1e3,
             m["wboot"] / 1e3,
             "; counted in, the ratio would be %.0fx" %
             (m["disk"] / max(cold, 1)) if disk else ""))
    ok = True
    r2 = [r for k, s, d, m, r in results if k == "2m" and r]
    if r2:
        good = min(r2) >= 200
        ok &= good
        out("2 MiB pages: %.0fx faster than the disk way (target >= 200x): %s"
            % (min(r2), "met" if good else "MISSED"))
    g = {s: m["lu"] / (lub.size_bytes(s) / GiB)
         for k, s, d, m, r in results if k == "1g"}
    if len(g) > 1:
        small, big = min(g, key=lub.size_bytes), max(g, key=lub.size_bytes)
        spread = g[big] / max(g[small], 1)
        good = spread <= 1.5
        ok &= good
        out("1 GiB pages: %s per GiB; %s/%s = %.2f (target <= 1.5: the cost "
            "per GiB does not grow with the size): %s" %
            (", ".join("%.2f ms at %s" % (g[s] / 1e3, s)
                       for s in sorted(g, key=lub.size_bytes)),
             big, small, spread, "met" if good else "MISSED"))
    out("bench: %s" % ("OK" if ok else "FAILED: a target missed"))
    path = a.out or os.path.join(rig.TOP, "bench/results",
                                 "hugetlb-%s.txt" % datetime.date.today())
    if not a.only or a.out:
        lub.write_results(path, lines)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
