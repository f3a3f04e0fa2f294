#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM benchmark: where the time of a kexec reboot goes, stock against KHO
zero-copy, with a 380 MiB initrd.

Every run is a chain of three generations of the same kernel (the bench
kernel, linux/kho-bench.config) and the same initramfs: the rig's plus a
/pad file of 380 MiB of random bytes (seed 003's figure), so each of the
two kexec reboots of a chain loads and hands over a ~390 MiB initrd. Each
incoming kernel prints its kexec-timeline line: the phases of the reboot
that started it, on the TSC, which keeps counting across the reboot.
Modes, measured in the same invocation, interleaved:

  stock      kho=off: kexec_file_load() stages the segments anywhere,
             relocate_kernel copies them into place in the reboot, and
             purgatory checks them with SHA-256
  zerocopy   kho=on (defaults): the segments are loaded in place in
             scratch, purgatory checks them with xxh64
  zerocopy-sha256  the same with purgatory's SHA-256 kept
             (kho_purgatory_xxh64=0): zero copy alone
  copy       zerocopy-sha256 with scratch fragmented
             (kho_debug_fragment_scratch=2) so the kernel and initrd take
             the copy path: KHO's cost apart from relocation
  zerocopy-1G  zerocopy with 1 GiB of preserved memory (test_kho.size=1G)

Reported per mode: the median of each phase over all reboots, the bytes
relocated and hashed by purgatory, and the time kexec_file_load() took
(zero-copy moves the copy there, out of the blackout). Verdicts: KHO's
relocation <= 1/20 of stock's, and its whole reboot faster. Also seed
003's breakdown: kernel shutdown, relocation, kernel startup, and the
relocation's share of the reboot.

--arch arm64 runs the same on qemu-system-aarch64 with the arm64 VM
kernel (linux/kho-arm64.config): the relocation copies with the MMU on,
as seed 003 measured it; there is no purgatory, so the modes are stock,
zerocopy and copy.

    bench/vm/reboot.py [--arch x86_64|arm64] [--runs 2] [--pad 380M]
                       [--no-build] [--out FILE]
                       [--modes stock,zerocopy,zerocopy-sha256,copy,zerocopy-1G]

Writes bench/results/reboot-DATE.txt (arm64: reboot-arm64-DATE.txt) or
--out.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/vm"))
import liveupdate  # noqa: E402
import rig  # noqa: E402
import scenarios  # noqa: E402

TOP = rig.TOP
PHASES = ("shutdown", "handoff", "reloc", "purgatory", "boot", "mm", "init",
          "total")
# scratch for generation 2 and later: the retained initrd, the loaded
# image and the kernel's early allocations
SCRATCH = "kho_scratch=64M,1400M test_kho.check_alloc=0"
MODES = {
    "stock": ("4G", "kho=off"),
    "zerocopy": ("4G", "kho=on %s test_kho.size=0" % SCRATCH),
    "zerocopy-sha256": ("4G", "kho=on %s test_kho.size=0 "
                        "kho_purgatory_xxh64=0" % SCRATCH),
    "copy": ("4G", "kho=on %s test_kho.size=0 kho_purgatory_xxh64=0 "
             "kho_debug_fragment_scratch=2" % SCRATCH),
    "zerocopy-1G": ("6G", "kho=on %s test_kho.size=1G test_kho.churn=0"
                    % SCRATCH),
}
ARM64_MODES = {
    "stock": MODES["stock"],
    "zerocopy": MODES["zerocopy"],
    "copy": ("4G", "kho=on %s test_kho.size=0 kho_debug_fragment_scratch=2"
             % SCRATCH),
}
# per architecture: kernel variant, its rig initramfs, modes
ARCH = {
    "x86_64": ("bench", "initramfs-bench.cpio", MODES),
    "arm64": ("arm64", "initramfs-arm64.cpio", ARM64_MODES),
}


def size_bytes(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].isalpha() else int(s)


def build(pad, arch):
    """The bench kernel and initramfs, and the initramfs with /pad."""
    variant, base, _ = ARCH[arch]
    liveupdate.build(variant)
    d = os.path.join(rig.BUILD, "bench")
    os.makedirs(d, exist_ok=True)
    padfile = os.path.join(d, "pad.bin")
    if not os.path.exists(padfile) or os.path.getsize(padfile) != pad:
        rnd = __import__("random").Random(3)
        with open(padfile, "wb") as f:
            left = pad
            while left:
                n = min(left, 16 << 20)
                f.write(rnd.randbytes(n))
                left -= n
    lst = os.path.join(d, "pad.list")
    with open(lst, "w") as f:
        f.write("file /pad %s 0644 0 0\n" % padfile)
    padcpio = os.path.join(d, "pad.cpio")
    with open(padcpio, "wb") as f:
        subprocess.run([os.path.join(rig.BUILD, "tools", "gen_init_cpio"),
                        lst], stdout=f, check=True)
    out = os.path.join(d, "initramfs-reboot-%s.cpio" % arch)
    with open(out, "wb") as f:
        for part in (os.path.join(rig.BUILD, base), padcpio):
            with open(part, "rb") as p:
                while True:
                    b = p.read(16 << 20)
                    if not b:
                        break
                    f.write(b)
    return out


def one_chain(mode, initrd, timeout, arch):
    variant, _, modes = ARCH[arch]
    mem, append = modes[mode]
    res = rig.run("chain@reboot-%s-%s" % (arch, mode), gens=3, mem=mem,
                  smp=2, variant=variant, initrd=initrd,
                  boot_timeout=timeout,
                  append="rig.next.kho_debug_fragment_scratch=- " + append
                  if "fragment" in append else append)
    recs = []
    for g, hits in scenarios.timeline_lines(res):
        d = scenarios.parse_timeline(hits[0]) if len(hits) == 1 else None
        if g > 1 and d:
            d["load_ms"] = int(res.info.get(g - 1, {}).get("load_us", -1)) \
                / 1000.0
            recs.append(d)
    if mode == "copy":
        recs = recs[:1]         # gen 3 is booted without fragmentation
    return res, recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="x86_64", choices=sorted(ARCH))
    ap.add_argument("--runs", type=int, default=2,
                    help="chains per mode (2 reboots each; default 2)")
    ap.add_argument("--pad", default="380M", help="random bytes in the "
                    "initrd on top of the rig's (default 380M)")
    ap.add_argument("--modes", help="default: every mode of the arch")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", help="result file")
    a = ap.parse_args()
    modes = a.modes.split(",") if a.modes else list(ARCH[a.arch][2])
    initrd = os.path.join(rig.BUILD, "bench",
                          "initramfs-reboot-%s.cpio" % a.arch)
    if not a.no_build or not os.path.exists(initrd):
        initrd = build(size_bytes(a.pad), a.arch)
    recs = {m: [] for m in modes}
    failed = []
    for run in range(a.runs):
        for m in modes:
            res, r = one_chain(m, initrd, a.timeout, a.arch)
            print("# %s run %d: %d reboots, %.0f s, log %s" %
                  (m, run + 1, len(r), res.wall, res.logfile), flush=True)
            if not res.ok or not r:
                failed.append("%s run %d (%s)" % (m, run + 1, res.logfile))
            recs[m] += r

    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    out("kexec reboot benchmark, %s, %s" % (a.arch, datetime.date.today()))
    out("VM: 2 CPUs, accel %s, %s kernel; initrd %.0f MiB (%s of random "
        "bytes); phases from the kexec timeline (%s), median of every "
        "reboot" % ("tcg" if a.arch == "arm64" else rig.accel(),
                    ARCH[a.arch][0], os.path.getsize(initrd) / (1 << 20),
                    a.pad, "CNTVCT_EL0" if a.arch == "arm64" else "TSC"))
    out()
    out("%-16s %4s " % ("mode", "n") +
        " ".join("%10s" % p for p in PHASES) +
        " %10s %12s %12s" % ("load", "reloc_MiB", "hashed_MiB"))
    med = {}
    for m in modes:
        r = recs[m]
        if not r:
            out("%-16s %4d  (no figures)" % (m, 0))
            continue
        med[m] = {p: statistics.median(float(d[p]) for d in r
                                       if d.get(p, "-") != "-")
                  for p in PHASES if any(d.get(p, "-") != "-" for d in r)}
        med[m]["load"] = statistics.median(d["load_ms"] for d in r)
        out("%-16s %4d " % (m, len(r)) +
            " ".join("%10.1f" % med[m].get(p, float("nan"))
                     for p in PHASES) +
            " %10.1f %12.1f %12.1f" % (
                med[m]["load"],
                statistics.median(d["reloc_bytes"] for d in r) / (1 << 20),
                statistics.median(d["hash_bytes"] for d in r) / (1 << 20)))
    out("(ms; load: kexec_file_load() in the outgoing kernel, before the "
        "reboot)")
    out()
    def ratio_line(what, m):
        st, z = med["stock"], med[m]
        ratio = st["reloc"] / max(z["reloc"], 0.001)
        out("%s: relocation %.3f ms = 1/%.0f of stock's %.1f ms (target "
            "<= 1/20: %s); reboot %.1f ms vs %.1f ms: %.2fx (%s)" %
            (what, z["reloc"], ratio, st["reloc"],
             "met" if ratio >= 20 else "NOT met", z["total"], st["total"],
             st["total"] / z["total"],
             "faster" if z["total"] < st["total"] else "NOT faster"))

    if "stock" in med:
        for m, what in (("zerocopy", "KHO zero-copy (defaults)"),
                        ("zerocopy-sha256", "KHO zero-copy, SHA-256 kept"),
                        ("zerocopy-1G", "KHO zero-copy, 1 GiB preserved")):
            if m in med:
                ratio_line(what, m)
    if "stock" in med and "zerocopy-sha256" in med:
        st, z = med["stock"], med["zerocopy-sha256"]
        out("purgatory's SHA-256 of the segments: %.1f ms, %.0f%% of the "
            "stock reboot; everything but it: stock %.1f ms, zero-copy %.1f "
            "ms (%.2fx)" % (st["purgatory"],
                            100 * st["purgatory"] / st["total"],
                            st["total"] - st["purgatory"],
                            z["total"] - z["purgatory"],
                            (st["total"] - st["purgatory"]) /
                            (z["total"] - z["purgatory"])))
    if "zerocopy" in med and "zerocopy-sha256" in med:
        out("purgatory: xxh64 %.1f ms vs SHA-256 %.1f ms; kexec_file_load() "
            "%.1f ms vs %.1f ms" % (med["zerocopy"]["purgatory"],
                                    med["zerocopy-sha256"]["purgatory"],
                                    med["zerocopy"]["load"],
                                    med["zerocopy-sha256"]["load"]))
    if "copy" in med:
        out("KHO with the copy path (scratch fragmented): relocation %.1f "
            "ms, reboot %.1f ms" % (med["copy"]["reloc"],
                                     med["copy"]["total"]))
    # seed 003's breakdown: shutdown (to the relocation), relocation, and
    # startup (the next kernel, to /init)
    out()
    for m in modes:
        if m not in med:
            continue
        z = med[m]
        down = z["shutdown"] + z.get("handoff", 0)
        up = z["total"] - down - z["reloc"]
        out("%-16s kernel shutdown %8.1f ms, relocation %8.1f ms, kernel "
            "startup %8.1f ms: relocation is %.1f%% of the reboot" %
            (m, down, z["reloc"], up, 100 * z["reloc"] / z["total"]))
    for f in failed:
        out("FAILED: " + f)
    path = a.out or os.path.join(
        TOP, "bench", "results", "reboot-%s%s.txt" %
        ("arm64-" if a.arch == "arm64" else "", datetime.date.today()))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("bench: results in %s" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
