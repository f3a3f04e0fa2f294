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
files back at late_initcall (its "sessions handed over" log line); the
disk path is charged the write and
the read. The memory overhead per preserved GiB is every page the next
kernel received that is not memfd data (session and memfd records, the
state tree) plus the tracker's pages, from kho/status, with the chain
test off (test_kho.size=0).

The VM kernel needs a block layer and virtio-blk, which the test kernels
leave out: this builds a third kernel, linux/kho-bench.config on top of
kho.config (build/kernel-bench, once; incremental afterwards).

    bench/vm/liveupdate.py [--size 1G] [--mem 3G] [--cache writeback]
                           [--timeout SECONDS] [--out FILE]

Prints a table and writes it to bench/results/liveupdate-DATE.txt.
"""

import argparse
import datetime
import os
import re
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


def build(variant="bench"):
    env = dict(os.environ, KCONFIG_VARIANT=variant, B=rig.BUILD)
    for script in ("kernel.sh", "initramfs.sh"):
        p = subprocess.run([os.path.join(TOP, "scripts", script)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if p.returncode:
            sys.stderr.write(p.stdout[-4000:])
            raise SystemExit("bench: %s failed" % script)


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
    ap.add_argument("--thp", action="store_true",
                    help="the memfd in 2 MiB folios (shmem_enabled=always)")
    ap.add_argument("--populate", action="store_true",
                    help="RETRIEVE_FD fills the page cache before it "
                    "returns (liveupdate.memfd_populate=1)")
    a = ap.parse_args()
    size = size_bytes(a.size)
    if size % (4 << 20):
        raise SystemExit("bench: --size must be a multiple of 4 MiB")
    if not a.no_build:
        build()
    img = os.path.join(rig.BUILD, "bench", "lu-disk.img")
    os.makedirs(os.path.dirname(img), exist_ok=True)
    with open(img, "wb") as f:
        f.truncate(size + (64 << 20))
    drive = ["-drive", "file=%s,if=virtio,format=raw,cache=%s" %
             (img, a.cache)]
    res = rig.run("kho@lu-bench", gens=2, mem=a.mem, smp=2,
                  variant="bench", qemu_extra=drive,
                  boot_timeout=a.timeout,
                  append="kho=on test_kho.size=0 rig.lu=bench "
                         "rig.lu_bench=%d%s%s" %
                         (size, " rig.lu_thp=1" if a.thp else "",
                          " liveupdate.memfd_populate=1" if a.populate
                          else ""))
    os.unlink(img)
    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    out("live update benchmark, %s" % datetime.date.today())
    out("VM: %s, %s, 2 CPUs, accel %s; disk: virtio-blk raw image, "
        "cache=%s, O_DIRECT in the guest" % (a.mem, os.uname().machine,
                                             rig.accel(), a.cache))
    out("memfd folios: %s; page cache filled %s" %
        ("2 MiB (shmem_enabled=always)" if a.thp else "4 KiB (shmem default)",
         "by RETRIEVE_FD (memfd_populate=1)" if a.populate
         else "on first use"))
    g1, g2 = res.info.get(1, {}), res.info.get(2, {})
    try:
        w = int(g1["lu_disk_write_us"])
        r = int(g2["lu_disk_read_us"])
        pres = int(g1["lu_preserve_us"])
        ret = int(g2["lu_retrieve_us"])
        fin = int(g2["lu_finish_us"])
        v1 = int(g2["lu_read1_us"])
        v2 = int(g2["lu_read2_us"])
        keep = int(g2.get("keep_ns", 0)) // 1000
        taken = [int(m.group(1)) for m in
                 (TAKEN_RE.search(ln) for ln in res.log) if m]
        boot = taken[-1]
        pages = int(g2["lu_in_preserved_pages"])
        tracker = int(g2["lu_in_tracker_pages"])
    except (KeyError, ValueError, IndexError):
        out("bench: figures missing (log: %s)" % res.logfile)
        for ok, d in res.checks:
            if not ok:
                out("  FAILED " + d)
        for e in res.errors:
            out("  FAILED " + e)
        out("\n".join(res.tail()))
        return 1
    gib = size / GiB

    def per_gib(us):
        return "%10.1f ms/GiB" % (us / 1000.0 / gib)

    lu_user = pres + ret + fin
    lu_all = lu_user + keep + boot
    disk = w + r
    out()
    out("%-52s %12s %s" % ("%s memfd" % a.size, "time", "per GiB"))
    out("%-52s %9.1f ms %s" % ("disk: write to /dev/vda (O_DIRECT + fsync, "
                               "gen 1)",
                               w / 1000.0, per_gib(w)))
    out("%-52s %9.1f ms %s" % ("disk: read back into a new memfd (gen 2)",
                               r / 1000.0,
                               per_gib(r)))
    out("%-52s %9.1f ms %s" % ("disk: total", disk / 1000.0, per_gib(disk)))
    out("%-52s %9.3f ms %s" % ("live update: PRESERVE_FD (gen 1)",
                               pres / 1000.0, per_gib(pres)))
    out("%-52s %9.3f ms %s" % ("live update: RETRIEVE_SESSION + RETRIEVE_FD "
                               "(gen 2)", ret / 1000.0, per_gib(ret)))
    out("%-52s %9.3f ms %s" % ("live update: FINISH (gen 2)", fin / 1000.0,
                               per_gib(fin)))
    out("%-52s %9.3f ms %s" % ("kernel: keeping preserved memory out of "
                               "the allocator", keep / 1000.0, per_gib(keep)))
    out("%-52s %9.3f ms %s" % ("kernel: taking the files back (late_initcall)",
                               boot / 1000.0, per_gib(boot)))
    out("%-52s %9.3f ms %s" % ("live update: total", lu_all / 1000.0,
                               per_gib(lu_all)))
    # RETRIEVE_FD leaves the folios out of the page cache until first
    # use: what that costs shows as the first read() of the whole memfd
    # taking longer than the fastest of three more (each varies by about
    # 10%, so the figure is rough)
    deferred = v1 - v2
    out("%-52s %9.3f ms %s" % ("deferred: page cache filled on first use",
                               deferred / 1000.0, per_gib(deferred)))
    out("%-52s %9.1f ms, then %.1f ms" % ("  (first read() of it all, "
                                          "then the best of 3)", v1 / 1000.0,
                                          v2 / 1000.0))
    ratio = disk / max(lu_all, 1)
    out()
    out("ratio disk / live update: %.0fx (target >= 20x; %.0fx on the "
        "system calls alone; %.0fx with the deferred work counted)" %
        (ratio, disk / max(lu_user, 1), disk / max(lu_all + max(deferred, 0),
                                                   1)))
    data_pages = size // 4096
    records = pages - data_pages
    over = (records + tracker) * 4096
    out("memory overhead: %d record pages + %d tracker pages = %.1f KiB for "
        "%s = %.1f KiB per preserved GiB (%.4f%%)" %
        (records, tracker, over / 1024.0, a.size, over / 1024.0 / gib,
         100.0 * over / size))
    ok = res.ok and ratio >= 20
    for c_ok, d in res.checks:
        if not c_ok:
            out("  FAILED " + d)
    for e in res.errors:
        out("  FAILED " + e)
    out("bench: %s (serial log %s)" % ("OK" if ok else "FAILED", res.logfile))
    os.makedirs(os.path.join(TOP, "bench/results"), exist_ok=True)
    path = a.out or os.path.join(TOP, "bench/results", "liveupdate-%s%s.txt" %
                                 (datetime.date.today(),
                                  ("-thp" if a.thp else "") +
                                  ("-populate" if a.populate else "")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("written to %s" % path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
