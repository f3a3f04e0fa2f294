#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo: a three-generation KHO kexec chain, summarised.

Generation 1 cold-boots with kho=on; the chain test preserves 64 MiB of
folios of random orders filled with address-derived data; each kexec'd
generation restores every folio, checks order and every byte, and
preserves them again (some freed, some new) for the next one.

In the same chain a user program (the VM's /init, rig.lu=chain) keeps a
256 MiB memfd, and a few small ones, in live update sessions
(/dev/liveupdate): generation 1 preserves them and a child process holds
the sessions through the kexec; generations 2 and 3 retrieve them, check
size, file position, seals and every byte, and keep them again. The
session listing (khoctl sessions) is shown before and after the kexec.

    tests/vm/demo.py [--arch arm64]   (arm64: make demo-arm64, in
                                       qemu-system-aarch64 -M virt)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402


def mib(b):
    return "%.1f MiB" % (int(b) / 1048576.0)


def main():
    arm64 = sys.argv[1:] == ["--arch", "arm64"]
    if sys.argv[1:] and not arm64:
        raise SystemExit("usage: demo.py [--arch arm64]")
    print("demo: booting generation 1 in QEMU (%s, %s) with kho=on; it "
          "kexecs into 2, which kexecs into 3" %
          ("arm64" if arm64 else "x86_64", "tcg" if arm64 else rig.accel()))
    res = rig.run("kho@demo" + ("-arm64" if arm64 else ""), gens=3,
                  mem="1G", smp=2, boot_timeout=300,
                  variant="arm64" if arm64 else None,
                  append="kho=on rig.status=1 rig.lu=chain rig.lu_list=1")
    print()
    print("%-4s %-24s %8s %8s   %-22s %-11s %s" %
          ("gen", "started by", "kernel", "to init", "preserved for next",
           "restored", "verified"))
    for g in sorted(res.gen_start):
        how = "QEMU (cold boot)" if g == 1 else "kexec_file_load + KHO"
        up = res.gen_uptime.get(g)
        i = res.info.get(g, {})
        pres = ("%s folios, %s" % (i["preserved"], mib(i["bytes"]))
                if "preserved" in i else "-")
        rest = "%s folios" % i["restored"] if "restored" in i else "-"
        ver = mib(i["verified_bytes"]) if "verified_bytes" in i else "-"
        print("%-4d %-24s %7.2fs %7.2fs   %-22s %-11s %s" %
              (g, how, res.gen_start[g], (up or 0) / 1000.0, pres, rest, ver))
    for g in (1, 2):
        tag = "RIG: STATUS%d " % g
        lines = [ln[ln.find(tag) + len(tag):] for ln in res.log if tag in ln]
        print()
        print("khoctl status in generation %d (%s the KHO kexec):" %
              (g, "before" if g == 1 else "after"))
        for ln in lines:
            print("    " + ln)
    listings = {}
    for line in res.log:
        i = line.find("RIG: LUS")
        if i < 0:
            continue
        word, _, rest = line[i + 5:].partition(" ")
        if word == "LUS-BEGIN":
            cur = listings.setdefault(rest.strip(), [])
            cur.append([])
        elif word == "LUS" and listings:
            cur[-1].append(rest)
    for g, when in (("gen1", "before the kexec: outgoing, held by a "
                     "child process"),
                    ("gen2", "after the kexec: incoming, retrieved and "
                     "checked"),
                    ("gen3", "after the second kexec")):
        if g in listings:
            print()
            print("khoctl sessions in generation %s (%s):" % (g[3:], when))
            for ln in listings[g][0]:
                print("    " + ln)
    print()
    print("the 256 MiB memfd (session lu-data, token 3):")
    for ok, desc in res.checks:
        if "lu-data 3" in desc or "zero copy" in desc:
            print("  %s %s" % ("ok    " if ok else "FAILED", desc))
    print()
    for ok, desc in res.checks:
        print("  %s %s" % ("ok    " if ok else "FAILED", desc))
    for e in res.errors:
        print("  FAILED %s" % e)
    print()
    print("demo: %d generation(s) in %.1f s, serial log: %s" %
          (len(res.gens_done), res.wall, res.logfile))
    if not res.ok or len(res.gens_done) != 3:
        print("demo: FAILED; last lines of the log:")
        print("\n".join(res.tail()))
        return 1
    print("demo: OK: the test data and a 256 MiB memfd survived two KHO "
          "kexecs, every byte checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
