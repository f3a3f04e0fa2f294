#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo-vm: a QEMU guest kept running across two host kexecs.

The host is the x86 test VM (QEMU TCG); inside it, khovm starts two
guests under Debian's qemu-system-x86_64: vm1, 256 MiB of RAM in a memfd
in 2 MiB folios and a virtio-blk disk, and vm2, 32 MiB. Each guest
(tools/guest) fills its RAM with a pattern and checks all of it over and
over, printing its boot id, pass and counter; vm1 also writes a record
to its disk each pass and reads them all back. Before each kexec khovm
saves the VMs into live update sessions; the next kernel's khovm
restores them on the same RAM and resumes them. Shown: each guest's
counter before and after each update, khovm's own lines (the blackout
and where it went among them), the incoming sessions as "khoctl
sessions" lists them, and the pause as the guest's own clocks saw it.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402

LAST = re.compile(r"rig\.lu_vm_last(\d)=([0-9a-f]+):(\d+):(\d+):(\d+):")
GUEST = re.compile(r"guest: boot=(\S+) pass=(\d+) bad=(\d+) counter=(\d+)")


def main():
    print("demo-vm: booting the host (QEMU %s) with kho=on; inside it khovm "
          "runs two guests under qemu-system-x86_64 (256 MiB with a disk, "
          "32 MiB), and the host kexecs twice" % rig.accel())
    res = rig.run("kho@demo-vm", gens=3, mem="1536M", smp=2,
                  boot_timeout=900, usr=True, disk=64,
                  append="kho=on rig.lu_vm=1")
    print()
    keep = ("khovm: ", "lu_vm: ", "paused for", "kexec-timeline: gen")
    for ln in res.log:
        if any(k in ln for k in keep) or ("RIG: gen=" in ln and (
                "incoming" in ln or "session" in ln)):
            print(ln[ln.find("RIG: ") + 5:] if "RIG: " in ln else ln)
    print()
    seen = []
    for ln in res.log:
        for m in LAST.finditer(ln):
            if "Command line" in ln and m.groups() not in seen:
                seen.append(m.groups())
    for vm, boot, pas, counter, _ in seen:
        print("before an update: vm%s: guest boot id %s, pass %s, counter %s"
              % (vm, boot, pas, counter))
    bad = res.errors + [d for ok, d in res.checks if not ok]
    print()
    ok = not bad and len(seen) == 4
    print("demo-vm: %s" % ("the same guests ran on across both updates"
                           if ok else
                           "FAILED: %s (log %s)" % (bad[:3], res.logfile)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
