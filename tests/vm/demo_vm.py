#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo-vm: a QEMU guest kept running across two host kexecs.

The host is the x86 test VM (QEMU TCG); inside it, khovm starts a guest
under Debian's qemu-system-x86_64 with 256 MiB of RAM in a memfd. The
guest (tools/guest) fills its RAM with a pattern and checks all of it
over and over, printing its boot id, pass and counter. Before each kexec
khovm saves the VM into a live update session; the next kernel's khovm
restores it on the same RAM and resumes it. Shown: the guest's line
before and after each update, khovm's own lines (the blackout among
them), and the incoming sessions.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402

LAST = re.compile(r"rig\.lu_vm_last=([0-9a-f]+):(\d+):(\d+):(\d+)")


def main():
    initrd = os.path.join(rig.BUILD, "initramfs-vm.cpio")
    print("demo-vm: booting the host (QEMU %s) with kho=on; inside it khovm "
          "runs a 256 MiB guest under qemu-system-x86_64, and the host "
          "kexecs twice" % rig.accel())
    res = rig.run("kho@demo-vm", gens=3, mem="1536M", smp=2,
                  boot_timeout=900, initrd=initrd,
                  append="kho=on rig.lu_vm=1")
    print()
    for ln in res.log:
        if "khovm: " in ln or "lu_vm: " in ln:
            print(ln[ln.find("RIG: ") + 5:] if "RIG: " in ln else ln)
    print()
    seen = []
    for ln in res.log:
        m = LAST.search(ln)
        if m and "Command line" in ln and m.groups() not in seen:
            seen.append(m.groups())
    for i, (boot, pas, counter, clock) in enumerate(seen, 1):
        print("before update %d: guest boot id %s, pass %s, counter %s, "
              "clock %s" % (i, boot, pas, counter, clock))
    bad = res.errors + [d for ok, d in res.checks if not ok]
    print()
    print("demo-vm: %s" % ("the same guest ran on across both updates"
                           if not bad and len(seen) == 2 else
                           "FAILED: %s (log %s)" % (bad[:3], res.logfile)))
    return 0 if not bad and len(seen) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
