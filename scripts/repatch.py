#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Developer helper: fold edits made in build/linux into a hook patch.

    scripts/repatch.py start PATCH FILE...   # before editing
    (edit build/linux/FILE ...)
    scripts/repatch.py finish PATCH FILE...  # rewrite PATCH's sections

PATCH (a name under linux/patches/) must be the last patch of the series
that touches each FILE. "start" saves, for each FILE, its content before
PATCH (build/linux's copy with PATCH's section reversed); "finish" diffs
that against the edited build/linux copy and puts the result in place of
PATCH's section for FILE (a new section at the end if it had none), and
records it as applied (build/series-state), so that the next tree.sh
reverts it cleanly. The patch's message and its other sections stay as
they are.
"""
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(TOP, "build", "linux")
SAVE = os.path.join(TOP, "build", "repatch")


def patch_path(name):
    p = os.path.join(TOP, "linux", "patches", name)
    if not os.path.exists(p):
        p += ".patch"
    if not os.path.exists(p):
        sys.exit("repatch: no patch %s" % name)
    return p


def split(text):
    """The patch's head and its per-file sections, in order."""
    lines = text.splitlines(keepends=True)
    head, secs, cur = [], [], None
    for i, ln in enumerate(lines):
        if (ln.startswith("--- a/") and i + 1 < len(lines)
                and lines[i + 1].startswith("+++ b/")):
            cur = [lines[i + 1][6:].strip(), [ln]]
            secs.append(cur)
        elif cur is None:
            head.append(ln)
        else:
            cur[1].append(ln)
    return "".join(head), [(f, "".join(b)) for f, b in secs]


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("start", "finish"):
        sys.exit(__doc__)
    mode, pp, files = sys.argv[1], patch_path(sys.argv[2]), sys.argv[3:]
    head, secs = split(open(pp).read())
    for f in files:
        later = [n for n in sorted(os.listdir(os.path.dirname(pp)))
                 if n > os.path.basename(pp) and
                 ("+++ b/%s\n" % f) in open(os.path.join(os.path.dirname(pp), n)).read()]
        if later:
            sys.exit("repatch: %s is also patched later, by %s" % (f, later))
    if mode == "start":
        for f in files:
            a = os.path.join(SAVE, "a", f)
            os.makedirs(os.path.dirname(a), exist_ok=True)
            with open(os.path.join(SRC, f), "rb") as i, open(a, "wb") as o:
                o.write(i.read())
            sec = dict(secs).get(f)
            if sec:
                subprocess.run(["patch", "-R", "-s", "--no-backup-if-mismatch",
                                a], input=sec, text=True, check=True)
        print("repatch: saved %s; edit build/linux, then finish" % " ".join(files))
        return 0
    new = dict(secs)
    order = [f for f, _ in secs]
    for f in files:
        a = os.path.join(SAVE, "a", f)
        if not os.path.exists(a):
            sys.exit("repatch: run start for %s first" % f)
        d = subprocess.run(["diff", "-u", "--label", "a/" + f, "--label",
                            "b/" + f, a, os.path.join(SRC, f)],
                           capture_output=True, text=True)
        if d.returncode > 1:
            sys.exit(d.stderr)
        # the series' patches carry no timestamps on their file lines
        new[f] = d.stdout
        if f not in order:
            order.append(f)
    with open(pp, "w") as o:
        o.write(head + "".join(new[f] for f in order if new[f]))
    # build/linux now holds the new patch: tree.sh must revert that one
    st = os.path.join(TOP, "build", "series-state", "patches",
                      os.path.basename(pp))
    if os.path.exists(st):
        with open(pp) as i, open(st, "w") as o:
            o.write(i.read())
    print("repatch: %s rewritten" % pp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
