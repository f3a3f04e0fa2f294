# SPDX-License-Identifier: GPL-2.0
"""Upgrade scenarios: a live update from the previous release to HEAD,
and back.

scripts/prev.sh builds the kernel of the previous release (RELEASES.md,
its own series on its own pinned base) in build/prev/src/build/kernel,
and an initramfs with that kernel as /boot/bzImage. Forward: the
release's kernel boots cold, keeps the KHO test data and memfds through
/dev/liveupdate (rig.lu=chain) and kexecs into HEAD's kernel (HEAD's
initramfs carries HEAD's bzImage), which checks every byte, seal and
size. Reverse: HEAD's kernel hands over to the release's, which must do
the same. Both expect the table "Formats by release" in format.rst to
show the same formats for the release and main (a check says so): the
release that changes a format adds the refusals it brings here.
"""
import itertools
import os
import re
import subprocess

import rig

PREV = os.path.join(rig.BUILD, "prev")
PREV_BUILD = os.path.join(PREV, "src", "build")
FORMAT_RST = os.path.join(rig.TOP, "linux", "Documentation", "kho",
                          "format.rst")


def prev_release():
    """The release scripts/prev.sh builds ("vN"), or None."""
    p = subprocess.run([os.path.join(rig.TOP, "scripts", "prev.sh"),
                        "--release"], capture_output=True, text=True)
    return p.stdout.split()[0] if p.returncode == 0 and p.stdout else None


def format_rows():
    """The rows of format.rst's "Formats by release" table: name -> the
    versions it writes."""
    rows, inside = {}, False
    with open(FORMAT_RST) as f:
        for line in f:
            if line.startswith("Formats by release"):
                inside = True
            elif inside and re.match(r"^(v\d+|main)\s", line):
                name, *versions = line.split()
                rows[name] = versions
            elif inside and rows and not line.strip():
                break
    return rows


def kernel_release(build):
    with open(os.path.join(build, "kernel", "include", "config",
                           "kernel.release")) as f:
        return f.read().strip()


def ran(first, second):
    """Generation 1 ran the kernel @first names and generation 2 the one
    @second names ("prev" or "head")."""
    def check(res):
        want = {"prev": PREV_BUILD, "head": rig.BUILD}
        for gen, who in ((1, first), (2, second)):
            try:
                release = kernel_release(want[who])
            except OSError as e:
                yield (False, "gen%d: %s kernel built" % (gen, who), [str(e)])
                continue
            lines = [ln for ln in res.log if "Linux version" in ln]
            got = lines[gen - 1] if len(lines) >= gen else ""
            yield ("Linux version %s " % release in got,
                   "gen%d runs %s kernel (%s)" %
                   (gen, "the previous release's" if who == "prev" else "HEAD's",
                    release), [got or "no generation %d" % gen])
    return check


def documented(rel, rows):
    """format.rst has rows for @rel and main, and they are the same: the
    one case these scenarios know the answer to (every handover
    accepted). A release that changes a format writes here what its
    kernel must refuse (the whole handover for setup, state tree or
    tracker; the session records for sessions or memfd; the timeline),
    so this check fails until it does."""
    def check(res):
        have = rel in rows and "main" in rows
        yield (have, "format.rst's \"Formats by release\" has rows for %s "
               "and main" % rel, ["rows: %s" % sorted(rows)])
        if have:
            cols = ("setup", "state tree", "tracker", "sessions", "memfd",
                    "timeline")
            changed = [c for c, a, b in zip(cols, rows[rel], rows["main"])
                       if a != b]
            yield (not changed, "no format changed since %s (changed: %s)"
                   % (rel, ", ".join(changed) or "none"),
                   ["the upgrade scenarios expect every handover accepted; "
                    "write the refusals a changed format brings"])
    return check


def scenarios():
    """The two upgrade scenarios, with what format.rst says they do."""
    rel = prev_release()
    rows = format_rows()
    data = "kho=on test_kho.size=16M rig.lu=chain"
    prev_kernel = os.path.join(PREV_BUILD, "kernel", "arch/x86/boot/bzImage")
    head_kernel = os.path.join(rig.BUILD, "kernel", "arch/x86/boot/bzImage")
    yield {"name": "upgrade-prev-to-head",
           "run": dict(name="kho@upgrade-prev-to-head", gens=2, mem="1G",
                       smp=2, boot_timeout=300, append=data,
                       kernel=prev_kernel,
                       initrd=os.path.join(rig.BUILD, "initramfs.cpio")),
           "extra": lambda res: itertools.chain(
               documented(rel, rows)(res), ran("prev", "head")(res))}
    yield {"name": "upgrade-head-to-prev",
           "run": dict(name="kho@upgrade-head-to-prev", gens=2, mem="1G",
                       smp=2, boot_timeout=300, append=data,
                       kernel=head_kernel,
                       initrd=os.path.join(PREV_BUILD, "initramfs.cpio")),
           "extra": lambda res: itertools.chain(
               documented(rel, rows)(res), ran("head", "prev")(res))}
