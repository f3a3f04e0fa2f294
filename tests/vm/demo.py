#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo: boot a three-generation kexec chain and summarise it."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402


def main():
    print("demo: booting generation 1 in QEMU (%s); it kexecs into 2 and 3"
          % rig.accel())
    res = rig.run("chain@demo", gens=3, mem="512M", smp=2)
    print()
    print("%-4s %-22s %14s %18s" % ("gen", "started by", "kernel start",
                                     "kernel->init"))
    for g in sorted(res.gen_start):
        how = "QEMU (cold boot)" if g == 1 else "kexec_file_load"
        up = res.gen_uptime.get(g)
        print("%-4d %-22s %12.2f s %15s" %
              (g, how, res.gen_start[g],
               "%d ms" % up if up is not None else "-"))
    print()
    for ok, desc in res.checks:
        print("  %s %s" % ("ok    " if ok else "FAILED", desc))
    for e in res.errors:
        print("  FAILED %s" % e)
    print()
    print("demo: %d generation(s) in %.1f s, log: %s" %
          (len(res.gens_done), res.wall, res.logfile))
    if not res.ok:
        print("demo: FAILED; last lines of the log:")
        print("\n".join(res.tail()))
        return 1
    print("demo: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
