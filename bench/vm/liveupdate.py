#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM benchmark: keeping a memfd across a reboot with live update, against
writing it to a disk and reading it back.

One chain of two generations, in one VM, in the same run. Generation 1
fills a memfd (1 GiB by default) and writes it to a virtio-blk disk
(/dev/vda, a raw image made here, written with O_DIRECT from 4 MiB
buffers, then fsync). Then it creates a session and preserves the memfd
(PRESERVE_FD), a child holds the session through the kexec. Generation 2
retrieves the session and the memfd (RETRIEVE_SESSION + RETRIEVE_FD),
reads it all, checks every byte and FINISHes; then it reads the disk
back into a new memfd and checks that too: the alternative a program
has today (after the reboot its old memfd is gone, so the way back
allocates and fills a new one). Timed in the VM with CLOCK_MONOTONIC
around the system calls.

Live update is charged preserve + retrieve + FINISH, plus what the next
kernel spends on it while booting: keeping the preserved memory out of
its allocator (kho/status incoming_keep_ns) and taking the sessions'
files back at late_initcall (its "sessions handed over" log line); and,
as "deferred", what filling the page cache costs, which RETRIEVE_FD
leaves to first use: timed as one lseek(SEEK_DATA) right after it,
which puts every waiting folio in (the difference between a first and
a later read() of the whole memfd varied by more than it is). The
disk path is charged the write and the read into a new memfd, which
fills a page cache too. The memory overhead per preserved GiB is every page the next
kernel received that is not memfd data (session and memfd records, the
state tree) plus the tracker's pages, from kho/status, with the chain
test off (test_kho.size=0).

The VM kernel needs a block layer and virtio-blk, which the test kernels
leave out: this builds a third kernel, linux/kho-bench.config on top of
kho.config (build/kernel-bench, once; incremental afterwards).

The chain runs three times (--runs): CPU time on this kind of machine
varies from run to run by tens of percent, so each figure printed is
the median of the runs, and the ratio with the deferred work counted is
also given run by run. The bench fails when the median ratio of
preserve + retrieve (with the next kernel's boot work) is below the 20x
target.

    bench/vm/liveupdate.py [--size 1G] [--mem 3G] [--cache writeback]
                           [--runs 3] [--timeout SECONDS] [--out FILE]

Prints a table and writes it to bench/results/liveupdate-DATE.txt.
"""

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/vm"))
import rig  # noqa: E402

TOP = rig.TOP
GiB = 1 << 30
TAKEN_RE = re.compile(r"sessions handed over, \d+ files, taken back in "
                      r"(\d+) us")


def size_bytes(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].isalpha() else int(s)


def script(name, variant):
    """Run scripts/@name for KCONFIG_VARIANT=@variant; exit if it fails."""
    env = dict(os.environ, KCONFIG_VARIANT=variant, B=rig.BUILD)
    p = subprocess.run([os.path.join(TOP, "scripts", name)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode:
        sys.stderr.write(p.stdout[-4000:])
        raise SystemExit("bench: %s failed" % name)


def report_failed(out, res):
    """Print what failed in the rig run @res through @out; return 1."""
    out("bench: a run failed or its figures are missing (log: %s)" %
        res.logfile)
    for ok, d in res.checks:
        if not ok:
            out("  FAILED " + d)
    for e in res.errors:
        out("  FAILED " + e)
    out("\n".join(res.tail()))
    return 1


def write_results(path, lines):
    """Write the figures' @lines to @path (under bench/results)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("written to %s" % path)


def build(variant="bench"):
    for name in ("kernel.sh", "initramfs.sh"):
        script(name, variant)


def figures(res):
    """One run's figures in us (and pages), or None if any is missing."""
    g1, g2 = res.info.get(1, {}), res.info.get(2, {})
    try:
        f = {
            "w": int(g1["lu_disk_write_us"]),
            "r": int(g2["lu_disk_read_us"]),
            "pres": int(g1["lu_preserve_us"]),
            "ret": int(g2["lu_retrieve_us"]),
            "fin": int(g2["lu_finish_us"]),
            "fill": int(g2["lu_fill_us"]),
            "v1": int(g2["lu_read1_us"]),
            "v2": int(g2["lu_read2_us"]),
            "keep": int(g2.get("keep_ns", 0)) // 1000,
            "pages": int(g2["lu_in_preserved_pages"]),
            "tracker": int(g2["lu_in_tracker_pages"]),
        }
        taken = [int(m.group(1)) for m in
                 (TAKEN_RE.search(ln) for ln in res.log) if m]
        f["boot"] = taken[-1]
    except (KeyError, ValueError, IndexError):
        return None
    f["disk"] = f["w"] + f["r"]
    f["lu_user"] = f["pres"] + f["ret"] + f["fin"]
    f["lu_all"] = f["lu_user"] + f["keep"] + f["boot"]
    f["deferred"] = f["fill"]
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1G", help="memfd size (default 1G)")
    ap.add_argument("--mem", default="3G", help="VM memory (default 3G)")
    ap.add_argument("--cache", default="writeback",
                    help="QEMU cache mode of the disk (default writeback: "
                    "the host's page cache helps the disk; none needs "
                    "O_DIRECT on the host file system)")
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds without progress before a hang")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="result file")
    ap.add_argument("--runs", type=int, default=3,
                    help="chains to run; figures are their medians "
                    "(default 3)")
    ap.add_argument("--thp", action="store_true",
                    help="the memfd in 2 MiB folios (shmem_enabled=always)")
    ap.add_argument("--populate", action="store_true",
                    help="RETRIEVE_FD fills the page cache before it "
                    "returns (liveupdate.memfd_populate=1)")
    a = ap.parse_args()
    size = size_bytes(a.size)
    if size % (4 << 20):
        raise SystemExit("bench: --size must be a multiple of 4 MiB")
    if a.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    if not a.no_build:
        build()
    img = os.path.join(rig.BUILD, "bench", "lu-disk.img")
    os.makedirs(os.path.dirname(img), exist_ok=True)
    with open(img, "wb") as f:
        f.truncate(size + (64 << 20))
    drive = ["-drive", "file=%s,if=virtio,format=raw,cache=%s" %
             (img, a.cache)]
    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    runs, failed = [], []
    for n in range(a.runs):
        res = rig.run("kho@lu-bench", gens=2, mem=a.mem, smp=2,
                      variant="bench", qemu_extra=drive,
                      boot_timeout=a.timeout,
                      append="kho=on test_kho.size=0 rig.lu=bench "
                             "rig.lu_bench=%d%s%s" %
                             (size, " rig.lu_thp=1" if a.thp else "",
                              " liveupdate.memfd_populate=1" if a.populate
                              else ""))
        fig = figures(res)
        if not res.ok or fig is None:
            failed.append(res)
            break
        runs.append(fig)
        print("bench: run %d of %d: disk %.1f ms, live update %.1f ms, "
              "deferred %.1f ms" % (n + 1, a.runs, fig["disk"] / 1000.0,
                                    fig["lu_all"] / 1000.0,
                                    fig["deferred"] / 1000.0), flush=True)
    os.unlink(img)

    out("live update benchmark, %s" % datetime.date.today())
    out("VM: %s, %s, 2 CPUs, accel %s; disk: virtio-blk raw image, "
        "cache=%s, O_DIRECT in the guest" % (a.mem, os.uname().machine,
                                             rig.accel(), a.cache))
    out("memfd folios: %s; page cache filled %s" %
        ("2 MiB (shmem_enabled=always)" if a.thp else "4 KiB (shmem default)",
         "by RETRIEVE_FD (memfd_populate=1)" if a.populate
         else "on first use"))
    if failed:
        return report_failed(out, failed[0])
    # this machine's CPU time varies between runs (a shared host): each
    # figure is the median of the runs, and the ratios are the medians of
    # each run's own ratio
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    out("figures: the median of %d runs of the chain" % len(runs))
    gib = size / GiB

    def per_gib(us):
        return "%10.1f ms/GiB" % (us / 1000.0 / gib)

    out()
    out("%-52s %12s %s" % ("%s memfd" % a.size, "time", "per GiB"))
    for key, what in (("w", "disk: write to /dev/vda (O_DIRECT + fsync, "
                            "gen 1)"),
                      ("r", "disk: read back into a new memfd (gen 2)"),
                      ("disk", "disk: total")):
        out("%-52s %9.1f ms %s" % (what, med[key] / 1000.0, per_gib(med[key])))
    for key, what in (("pres", "live update: PRESERVE_FD (gen 1)"),
                      ("ret", "live update: RETRIEVE_SESSION + RETRIEVE_FD "
                              "(gen 2)"),
                      ("fin", "live update: FINISH (gen 2)"),
                      ("keep", "kernel: keeping preserved memory out of "
                               "the allocator"),
                      ("boot", "kernel: taking the files back "
                               "(late_initcall)"),
                      ("lu_all", "live update: total"),
                      # RETRIEVE_FD leaves the folios out of the page cache
                      # until first use: lseek(SEEK_DATA) puts them all in
                      ("deferred", "deferred: page cache filled (SEEK_DATA)")):
        out("%-52s %9.3f ms %s" % (what, med[key] / 1000.0, per_gib(med[key])))
    out("%-52s %9.1f ms, then %.1f ms" % ("read() of it all after that: "
                                          "first, then the best of 3",
                                          med["v1"] / 1000.0,
                                          med["v2"] / 1000.0))
    ratio = statistics.median(r["disk"] / max(r["lu_all"], 1) for r in runs)
    calls = statistics.median(r["disk"] / max(r["lu_user"], 1) for r in runs)
    ratios_all = [r["disk"] / max(r["lu_all"] + max(r["deferred"], 0), 1)
                  for r in runs]
    r_all = statistics.median(ratios_all)
    out()
    out("ratio disk / live update: %.0fx (target >= 20x; %.0fx on the "
        "system calls alone; %.0fx with the deferred work counted)" %
        (ratio, calls, r_all))
    if len(runs) > 1:
        out("  with the deferred work counted, run by run: %s" %
            ", ".join("%.0fx" % x for x in ratios_all))
    data_pages = size // 4096
    records = med["pages"] - data_pages
    over = (records + med["tracker"]) * 4096
    out("memory overhead: %d record pages + %d tracker pages = %.1f KiB for "
        "%s = %.1f KiB per preserved GiB (%.4f%%)" %
        (records, med["tracker"], over / 1024.0, a.size, over / 1024.0 / gib,
         100.0 * over / size))
    ok = ratio >= 20
    out("bench: %s (serial log of the last run %s)" %
        ("OK" if ok else "FAILED: below 20x", res.logfile))
    os.makedirs(os.path.join(TOP, "bench/results"), exist_ok=True)
    path = a.out or os.path.join(TOP, "bench/results", "liveupdate-%s%s.txt" %
                                 (datetime.date.today(),
                                  ("-thp" if a.thp else "") +
                                  ("-populate" if a.populate else "")))
    write_results(path, lines)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
