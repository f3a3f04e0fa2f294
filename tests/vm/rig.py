# SPDX-License-Identifier: GPL-2.0
"""VM rig: boot a kernel chain in QEMU and turn its serial log into results.

A scenario is booted once (generation 1, cold boot by QEMU); the VM's own
/init kexecs into the next generations and powers off after the last one.
The runner only reads the serial console:

  RIG: ok - genN: ...        a passed check
  RIG: not ok - genN: ...    a failed check
  RIG: gen=N done next=...   generation N finished
  KTAP lines from KUnit      counted per case

A kernel panic, a boot that exceeds its time limit, a chain that exceeds
its limit, a missing generation or a log with no result is a failure;
the last 30 lines of the log are shown with it. Kernel reports (WARNING,
BUG, KASAN, UBSAN, lockdep, Oops) are collected in Result.reports; the
runner fails a scenario on any it does not expect.
"""

import os
import re
import select
import subprocess
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("B", os.path.join(TOP, "build"))
# QEMU, khovm and the test guest for the VM scenarios (scripts/initramfs.sh)
VM_USR = os.path.join(BUILD, "vm-usr.img")

_accel = None


def accel():
    """kvm when it really boots our kernel here, else tcg.

    /dev/kvm existing is not enough (nested KVM may accept the ioctls and
    then hang or fail on MSRs), so the probe boots the test kernel for one
    generation under KVM with a short limit. KHO_ACCEL=tcg|kvm skips it.
    """
    global _accel
    if _accel:
        return _accel
    want = os.environ.get("KHO_ACCEL", "auto")
    if want != "auto":
        _accel = want
        return _accel
    cache = os.path.join(BUILD, "accel")
    try:
        with open(cache) as f:
            _accel = f.read().strip()
        if _accel in ("kvm", "tcg"):
            return _accel
    except OSError:
        pass
    _accel = "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        _accel = "kvm"
        res = run("chain@kvm-probe", gens=1, boot_timeout=20)
        _accel = "kvm" if res.ok else "tcg"
    os.makedirs(BUILD, exist_ok=True)
    with open(cache, "w") as f:
        f.write(_accel + "\n")
    return _accel


class Result:
    """Outcome of one scenario run."""

    def __init__(self, name):
        self.name = name
        self.checks = []        # (ok, description)
        self.gens_done = []     # generations that reported "done"
        self.gen_start = {}     # gen -> host seconds when its kernel started
        self.gen_uptime = {}    # gen -> uptime_ms when init started
        self.done_at = {}       # gen -> host seconds of its "done" line
        self.errors = []        # rig-level failures (panic, timeout, ...)
        self.info = {}          # gen -> {key: value} from "RIG: gen=N kho k=v"
        self.reports = []       # (gen, line): WARN, BUG, KASAN, lockdep...
        self.log = []
        self.logfile = None
        self.wall = 0.0

    @property
    def ok(self):
        return not self.errors and all(ok for ok, _ in self.checks)

    def tail(self, n=30):
        return self.log[-n:]


TAP_RE = re.compile(r"RIG: (ok|not ok) - (.*)$")
DONE_RE = re.compile(r"RIG: gen=(\d+) done next=(\w+)")
INFO_RE = re.compile(r"RIG: gen=(\d+) kho (.*)$")
START_RE = re.compile(r"RIG: gen=(\d+) of (\d+) .*uptime_ms=(\d+)")
KTAP_CASE_RE = re.compile(r"^\[\s*[\d.]+\]\s{4,}(ok|not ok) \d+ (\S+)(.*)$")
# what the kernel prints when one of its checks fires: WARN_ON, BUG_ON,
# KASAN ("BUG: KASAN: ..."), lockdep ("WARNING: possible ..."), UBSAN,
# a sleeping call in atomic context ("BUG: sleeping function ...")
REPORT_RE = re.compile(r"^\[\s*[\d.]+\] (WARNING:|BUG:|kernel BUG at|"
                       r"UBSAN:|Oops:|general protection fault|"
                       r"list_add corruption|list_del corruption)")
KTAP_SUITE_RE = re.compile(r"^\[\s*[\d.]+\]\s+# Subtest: (\S+)")


def run(name, gens=3, mem="512M", smp=2, append="", boot_timeout=120,
        chain_timeout=None, variant=None, qemu_extra=(), expect_gens=None,
        kunit=False, initrd=None, kernel=None, disk=None, rootfs=None,
        usr=False, kaslr=False):
    """Boot scenario @name for @gens generations and collect its results
    (@initrd, @kernel: another initramfs, kernel than the variant's;
    @disk: MiB of a blank virtio-blk disk, /dev/vda in every generation,
    made anew for each run; @rootfs: a disk image booted as the root file
    system instead of the initramfs, /dev/vda, its init PID 1; @usr: the
    VM tools' image, VM_USR, as a read-only virtio-blk disk after the
    others, serial "khovm-usr", which the scenario mounts at /usr;
    @kaslr: x86 boots get "nokaslr" unless it is set, so the kernel sits
    where kexec put it, as the corruption scenarios need)."""
    suffix = "-" + variant if variant else ""
    arm64 = variant == "arm64"
    kernel = kernel or os.path.join(BUILD, "kernel" + suffix,
                                    "arch/arm64/boot/Image" if arm64 else
                                    "arch/x86/boot/bzImage")
    initrd = initrd or os.path.join(BUILD, "initramfs" + suffix + ".cpio")
    if chain_timeout is None:
        chain_timeout = boot_timeout * gens
    res = Result(name)
    logdir = os.path.join(BUILD, "logs")
    os.makedirs(logdir, exist_ok=True)
    res.logfile = os.path.join(logdir, name + ".log")
    if not kunit:
        append = "kunit.enable=0 " + append
    # TCG runs ACPI's PCI interrupt link methods so slowly that each PCI
    # device's probe takes 0.8 s, every boot: with a virtio disk, the
    # PCI interrupts come from the BIOS's routing table instead
    if not arm64 and (disk or usr):
        append = "pci=noacpi " + append
    if not arm64 and not kaslr:
        append = "nokaslr " + append
    cmdline = ("console=%s retain_initrd panic=1 oops=panic "
               "rig.scenario=%s rig.gen=1 rig.gens=%d %s" %
               ("ttyAMA0" if arm64 else "ttyS0", name.split("@")[0], gens,
                append)).strip()
    machine = (["qemu-system-aarch64", "-M", "virt", "-cpu", "max",
                "-accel", "tcg"] if arm64 else
               ["qemu-system-x86_64", "-accel", accel()])
    # one socket per CPU with NUMA nodes, or the CPUs' shared cache
    # spans nodes (a WARNING from the scheduler's topology check)
    if "-numa" in qemu_extra and isinstance(smp, int):
        smp = "%d,sockets=%d" % (smp, smp)
    cmd = machine + ["-m", mem, "-smp", str(smp), "-display", "none",
                     "-nodefaults", "-serial", "stdio", "-no-reboot",
                     "-kernel", kernel] + \
        ([] if rootfs else ["-initrd", initrd]) + \
        ["-append", cmdline] + list(qemu_extra)
    if rootfs:
        cmd += ["-drive", "file=%s,format=raw,if=none,id=vda" % rootfs,
                "-device", "virtio-blk-pci,drive=vda"]
    if disk:
        image = os.path.join(logdir, name.replace("/", "_") + ".disk")
        with open(image, "wb") as f:
            f.truncate(disk << 20)
        cmd += ["-drive", "file=%s,format=raw,if=none,id=vda" % image,
                "-device", "virtio-blk-pci,drive=vda"]
    if usr:
        cmd += ["-drive", "file=%s,format=raw,if=none,id=usr,readonly=on" %
                VM_USR,
                "-device", "virtio-blk-pci,drive=usr,serial=khovm-usr"]
    start = time.monotonic()
    last_boot = start
    gen = 0
    suite = "?"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    buf = b""
    # line-buffered: a long silent phase is visible in the log as it happens
    with open(res.logfile, "w", buffering=1) as log:
        log.write("# " + " ".join(cmd) + "\n")
        while True:
            now = time.monotonic()
            if now - last_boot > boot_timeout:
                res.errors.append("generation %d: no progress for %ds (hang)"
                                  % (gen + 1, boot_timeout))
                break
            if now - start > chain_timeout:
                res.errors.append("chain exceeded %ds" % chain_timeout)
                break
            r, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not r:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait()
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                log.write(line + "\n")
                res.log.append(line)
                if "Linux version" in line:
                    gen += 1
                    last_boot = time.monotonic()
                    res.gen_start[gen] = last_boot - start
                if REPORT_RE.match(line):
                    res.reports.append((gen, line.strip()))
                if "Kernel panic" in line:
                    res.errors.append("generation %d: %s" %
                                      (gen, line.strip()))
                m = INFO_RE.search(line)
                if m:
                    d = res.info.setdefault(int(m.group(1)), {})
                    for kv in m.group(2).split():
                        k, _, v = kv.partition("=")
                        d[k] = v
                m = START_RE.search(line)
                if m:
                    res.gen_uptime[int(m.group(1))] = int(m.group(3))
                m = TAP_RE.search(line)
                if m:
                    res.checks.append((m.group(1) == "ok", m.group(2)))
                m = KTAP_SUITE_RE.match(line)
                if m:
                    suite = m.group(1)
                m = KTAP_CASE_RE.match(line)
                if m:
                    res.checks.append((m.group(1) == "ok",
                                       "gen%d: kunit %s.%s%s" %
                                       (gen, suite, m.group(2),
                                        m.group(3).rstrip())))
                m = DONE_RE.search(line)
                if m:
                    res.gens_done.append(int(m.group(1)))
                    res.done_at[int(m.group(1))] = time.monotonic() - start
                    last_boot = time.monotonic()
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    res.wall = time.monotonic() - start
    want = list(range(1, (expect_gens or gens) + 1))
    if not res.errors and res.gens_done != want:
        res.errors.append("generations done %s, expected %s" %
                          (res.gens_done, want))
    if not res.errors and not res.checks:
        res.errors.append("no result printed")
    return res
