#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make demo-debian: a Debian 12 host with systemd as PID 1 keeps files
across "systemctl kexec".

The product's packages (make deb: khoctl with its systemd units, and the
kernel with the series) are installed with dpkg into a Debian rootfs
(scripts/debian-rootfs.sh), which QEMU boots from a virtio disk. In the
first boot khoctl-keep@rig.service holds three files of /run (a tmpfs,
so they are gone at the reboot) in a live update session, a plain
service holds a second session, khoctl check refuses the kexec because
of it, and systemctl kexec reboots into the installed kernel; in the
second, khoctl-take@rig.service writes the files back before
multi-user.target, and khoctl-take@victim.service says its session did
not come back. Shown: the steps' results, systemctl status of the units,
and what the kernel and systemd said about the kexec.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402
import scenarios  # noqa: E402


class Say:
    """The preparation's results, as lines."""

    def result(self, ok, desc, diag=()):
        print("%s %s" % ("ok    " if ok else "FAILED", desc))
        if not ok:
            for d in diag:
                print("       " + d)


def main():
    sc = next(s for s in scenarios.DEBIAN
              if s["name"] == "debian-systemd-kexec")
    print("demo-debian: building the packages and the Debian rootfs")
    if not sc["prepare"](Say()):
        return 1
    print("demo-debian: booting Debian (QEMU %s), systemd as PID 1; the "
          "host kexecs once with systemctl kexec" % rig.accel())
    res = rig.run(**sc["run"])
    print()
    keep = ("RIG: ok", "RIG: not ok", "RIG: STATUS", "RIG: gen=",
            "KHO: handover accepted", "liveupdate: ", "kexec_core: Starting",
            "systemd-shutdown", "Linux version")
    for ln in res.log:
        if any(k in ln for k in keep):
            print(ln[ln.find("RIG: ") + 5:] if "RIG: " in ln else ln)
    bad = [d for ok, d in res.checks if not ok] + res.errors
    extra = list(sc["extra"](res))
    bad += [d for ok, d, _ in extra if not ok]
    print()
    print("demo-debian: %s (log %s)" % (
        "the kept files came back byte for byte, the killed holder's did "
        "not, and the journal says so" if not bad and res.ok else
        "FAILED: " + "; ".join(bad), res.logfile))
    return 0 if not bad and res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
