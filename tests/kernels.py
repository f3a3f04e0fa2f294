# SPDX-License-Identifier: GPL-2.0
"""The VM kernels a test run needs, built in the background.

make test used to build all its kernels (plain, deferred, arm64,
nofile, KASAN; the deferred one is now folded into the plain one, which
has deferred init, NUMA and KASLR as Debian's has) one after the other before the first test ran, about 43
minutes of a cold CI run during which no test ran, and then ran the
scenarios one after the other, during which one of the two cores was
mostly idle (a TCG guest keeps one vCPU busy most of the time). Here
one thread builds the kernels the selected scenarios need, in the order
the scenarios use them, under "nice -n 19": the tests run at normal
priority and the build takes what they leave. A scenario whose kernel
is not ready yet waits for it; one whose kernel failed to build fails
with the build log's tail, and the run still ends "N passed, N failed".

Each variant runs scripts/kernel.sh and then scripts/initramfs.sh, with
their output in build/logs/kernel[-VARIANT].log. Both scripts write
only that variant's outputs (build/kernel-VARIANT,
build/initramfs-VARIANT.cpio), so a scenario of another variant is not
disturbed; the shared user-space tools under build/tools are the same
for every x86 variant and are rebuilt only when their sources change.
"""

import os
import subprocess
import threading
import time

# the order the background build takes, the order the scenarios run in
ORDER = ("", "nofile", "arm64", "kasan")


def rank(variant):
    """Where @variant's scenarios go in the run (unknown ones last)."""
    v = variant or ""
    return ORDER.index(v) if v in ORDER else len(ORDER)


class Builder:
    """Build @variants (VM kernel + initramfs each) in a background thread.

    wait(variant) blocks until that variant is built and returns
    (ok, seconds spent building, log path, last lines of the log)."""

    def __init__(self, top, build, variants, nice=19):
        self.top, self.build, self.nice = top, build, nice
        self.todo = sorted(set(v or "" for v in variants), key=rank)
        self.done = {}
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        """Start building; returns at once."""
        os.makedirs(os.path.join(self.build, "logs"), exist_ok=True)
        self.thread.start()
        return self

    def log(self, variant):
        """The build log of @variant."""
        return os.path.join(self.build, "logs", "kernel%s.log" %
                            ("-" + variant if variant else ""))

    def _one(self, variant):
        env = dict(os.environ)
        env.pop("KCONFIG_VARIANT", None)
        if variant:
            env["KCONFIG_VARIANT"] = variant
        ok = True
        with open(self.log(variant), "w") as f:
            for script in ("kernel.sh", "initramfs.sh"):
                p = subprocess.run(["nice", "-n", str(self.nice),
                                    os.path.join(self.top, "scripts", script)],
                                   env=env, stdout=f, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
                if p.returncode:
                    f.write("%s exited with status %d\n" %
                            (script, p.returncode))
                    ok = False
                    break
        return ok

    def _run(self):
        for v in self.todo:
            t0 = time.monotonic()
            try:
                ok = self._one(v)
            except OSError as e:
                with open(self.log(v), "a") as f:
                    f.write("cannot run the build: %s\n" % e)
                ok = False
            with self.cv:
                self.done[v] = (ok, time.monotonic() - t0)
                self.cv.notify_all()

    def wait(self, variant):
        """Block until @variant is built: (ok, seconds, log, tail)."""
        v = variant or ""
        if v not in self.todo:
            return False, 0.0, self.log(v), ["variant %r was not queued" % v]
        with self.cv:
            while v not in self.done:
                self.cv.wait()
            ok, secs = self.done[v]
        tail = []
        if not ok:
            with open(self.log(v), errors="replace") as f:
                tail = f.read().splitlines()[-30:]
        return ok, secs, self.log(v), tail
