#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM blackout benchmark: a running guest kept across the host's kexec by
live update, against the whole VM saved to a disk and read back.

One chain of three generations in one VM (the host), in the same run:
a guest of 1 GiB (tools/guest, TCG inside the TCG host) runs throughout.

  gen 1 -> 2  without this product: "khovm save-to /dev/vda" stops the
              VM and writes all of it, RAM included, with QEMU's
              migration to a virtio-blk disk; kexec; "khovm restore-from"
              reads it back into new RAM and resumes it
  gen 2 -> 3  live update: "khovm save" stops the VM, saves its device
              state (x-ignore-shared: RAM stays where it is) and keeps
              RAM and state in a session; kexec; "khovm restore"
              retrieves them, checks the RAM, restarts QEMU on it, resumes

Both reboots are the same kind of kexec (KHO on, the same kernel and
initramfs); only the VM's way across differs. khovm prints where each
blackout went, on the clock the kexec timeline uses (TSC), stop to cont:
save (device state or the whole VM, and preserve), wait (until the
reboot request), reboot (request to the next kernel's user space, from
the timeline), agent (until the restore starts), retrieve (sessions,
files, RAM check), qemu (QEMU started), load (state loaded), resume
(cont). The guest's own view is how much further its RTC went than its
TSC (tools/guest clock_gap_ms), with the host's wall clock carried
across each reboot on the same clock.

The host kernel is the benchmark kernel (linux/kho-bench.config: no
debug checks, a virtio-blk disk, what QEMU needs) with its own small
initramfs; QEMU, khovm and the guest are on the VM tools' image
(build/vm-usr.img, a read-only virtio-blk disk mounted at /usr), so the
kexec carries no QEMU in its initramfs.

Targets: the live update blackout at least 10x shorter than the
disk's; the VM's own share of it (everything but the reboot) at most
half of the reboot.

    bench/vm/blackout.py [--mib 1024] [--mem 3G] [--runs 3] [--out FILE]

Prints a table and writes it to bench/results/blackout-DATE.txt.
"""

import argparse
import datetime
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/vm"))
import liveupdate  # noqa: E402
import rig  # noqa: E402

TOP = rig.TOP
PHASES = ("save", "wait", "reboot", "agent", "retrieve", "qemu", "load",
          "resume", "blackout")
PHASE_RE = re.compile(r"RIG: gen=(\d+) khovm: bench phases \(ms\): (.*)$")
PAUSE_RE = re.compile(r"RIG: gen=(\d+) guest_pause_ms=(-?\d+)")
TL_RE = re.compile(r"kexec-timeline: (gen=(\d+) .*)$")
WHAT = {
    "save": "save: device state (+ preserve) / the whole VM",
    "wait": "until the reboot request",
    "reboot": "reboot: request to user space (timeline)",
    "agent": "next kernel's user space to the restore",
    "retrieve": "retrieve sessions + RAM check / read header",
    "qemu": "QEMU started",
    "load": "state loaded (device state / all RAM)",
    "resume": "resume (cont)",
    "blackout": "blackout: stop to cont",
}


def build():
    liveupdate.build()
    # the VM tools' image (QEMU, khovm, the guest), built with the plain
    # x86 tools
    liveupdate.script("initramfs.sh", "")


def figures(res):
    """{"disk": {phase: ms}, "kho": {...}} of one run, or None."""
    f = {}
    for line in res.log:
        m = PHASE_RE.search(line)
        if m:
            kv = dict(w.split("=", 1) for w in m.group(2).split())
            try:
                f[{2: "disk", 3: "kho"}[int(m.group(1))]] = {
                    k: float(kv[k]) for k in PHASES}
            except (KeyError, ValueError):
                return None
        m = PAUSE_RE.search(line)
        if m and int(m.group(1)) in (2, 3):
            f.setdefault("pause", {})[{2: "disk", 3: "kho"}[
                int(m.group(1))]] = int(m.group(2))
        m = TL_RE.search(line)
        if m and int(m.group(2)) in (2, 3):
            f.setdefault("tl", {})[{2: "disk", 3: "kho"}[
                int(m.group(2))]] = m.group(1)
    if "disk" not in f or "kho" not in f or len(f.get("pause", {})) != 2:
        return None
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=1024,
                    help="guest RAM in MiB (default 1024)")
    ap.add_argument("--mem", default="3G", help="host VM memory (default 3G)")
    ap.add_argument("--runs", type=int, default=3,
                    help="chains to run; figures are their medians")
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds without progress before a hang")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="result file")
    a = ap.parse_args()
    if not a.no_build:
        build()
    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    runs, failed = [], None
    for n in range(a.runs):
        res = rig.run("kho@vm-blackout", gens=3, mem=a.mem, smp=2,
                      variant="bench", boot_timeout=a.timeout,
                      usr=True,
                      disk=a.mib + 256,
                      append="kho=on test_kho.size=0 test_kho.check_alloc=0 "
                      "test_kho.churn=0 rig.lu_vmb=%d" % a.mib)
        fig = figures(res)
        if not res.ok or fig is None:
            failed = res
            break
        runs.append(fig)
        print("bench: run %d of %d: blackout %.0f ms to disk, %.0f ms by "
              "live update" % (n + 1, a.runs, fig["disk"]["blackout"],
                               fig["kho"]["blackout"]), flush=True)
    out("VM blackout benchmark, %s" % datetime.date.today())
    out("host: a %s VM, %s, 2 CPUs, accel %s, the benchmark kernel; guest: "
        "%d MiB (TCG in the host), QEMU %s" %
        (a.mem, os.uname().machine, rig.accel(), a.mib, "7.2 (Debian)"))
    if failed:
        return liveupdate.report_failed(out, failed)
    med = {mode: {k: statistics.median(r[mode][k] for r in runs)
                  for k in PHASES} for mode in ("disk", "kho")}
    pause = {mode: statistics.median(r["pause"][mode] for r in runs)
             for mode in ("disk", "kho")}
    out("figures: the median of %d runs, in ms" % len(runs))
    out()
    out("%-48s %12s %12s" % ("phase", "to disk", "live update"))
    for k in PHASES:
        out("%-48s %12.1f %12.1f" % (WHAT[k], med["disk"][k], med["kho"][k]))
    out("%-48s %12.0f %12.0f" % ("the guest's own clocks: RTC ahead of TSC by",
                                 pause["disk"], pause["kho"]))
    out()
    last = runs[-1]
    for mode in ("disk", "kho"):
        out("reboot (%s, last run): %s" % (mode, last["tl"].get(mode, "?")))
    ratio = statistics.median(r["disk"]["blackout"] /
                              max(r["kho"]["blackout"], 1) for r in runs)
    own = statistics.median((r["kho"]["blackout"] - r["kho"]["reboot"]) /
                            max(r["kho"]["reboot"], 1) for r in runs)
    # both ways go through the same kexec: without it, what each way
    # itself costs the guest (TCG's reboot is slow with or without KHO)
    alone = statistics.median(
        (r["disk"]["blackout"] - r["disk"]["reboot"]) /
        max(r["kho"]["blackout"] - r["kho"]["reboot"], 1) for r in runs)
    out()
    out("ratio blackout to disk / live update: %.1fx (target >= 10x)" % ratio)
    out("the same without the reboot both ways share: %.1fx" % alone)
    out("live update: the VM's own share (all but the reboot) / the reboot: "
        "%.2f (target <= 0.5)" % own)
    ok = ratio >= 10 and own <= 0.5
    out("bench: %s (serial log of the last run %s)" %
        ("OK" if ok else "FAILED: a target missed", res.logfile))
    path = a.out or os.path.join(TOP, "bench/results", "blackout-%s.txt" %
                                 datetime.date.today())
    liveupdate.write_results(path, lines)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
