# SPDX-License-Identifier: GPL-2.0
"""The VM scenarios run by tests/run.py, in order.

Each entry: "name" (shown in the TAP file), "run" (arguments of rig.run),
and optionally "check", a function turning the rig.Result into
(ok, description, diagnostics) tuples when the default judgement (every
check passed, every generation done) is not what the scenario proves.
"""


def expect_panic(res):
    panicked = [e for e in res.errors if "Kernel panic" in e]
    ok = bool(panicked) and 2 not in res.gens_done
    yield (ok, "a panic in generation 2 is reported as a failure",
           ["rig errors: %s" % res.errors, "log tail shown on failure:"] +
           res.tail(30))


def expect_hang(res):
    hung = [e for e in res.errors if "hang" in e]
    yield (bool(hung), "a hang in generation 2 is reported as a failure",
           ["rig errors: %s" % res.errors] + res.tail(30))


SCENARIOS = [
    {"name": "kunit",
     "run": dict(name="chain@kunit", gens=1, mem="512M", smp=2, kunit=True)},
    {"name": "chain",
     "run": dict(name="chain", gens=3, mem="512M", smp=2)},
    {"name": "kho-chain",
     "run": dict(name="kho", gens=4, mem="1G", smp=2, append="kho=on")},
    {"name": "kho-512M-2G",
     "run": dict(name="kho@big", gens=3, mem="2G", smp=2, boot_timeout=300,
                 append="kho=on test_kho.size=512M")},
    {"name": "kho-off-in-gen2",
     "run": dict(name="kho@off", gens=2, mem="512M", smp=2,
                 append="kho=on rig.next.kho=- rig.next.rig.expect=refused "
                        "rig.next.rig.expect_reason=kho=on rig.kho_off=1")},
    {"name": "kho-bad-root",
     "run": dict(name="kho@badroot", gens=2, mem="512M", smp=2,
                 append="kho=on kho_root=0x1000 rig.expect=refused "
                        "rig.expect_reason=kho_root rig.next.kho_root=- "
                        "rig.next.rig.expect=accepted")},
    {"name": "rig-panic",
     "run": dict(name="chain@panic", gens=3, append="rig.panic=2"),
     "check": expect_panic},
    {"name": "rig-hang",
     "run": dict(name="chain@hang", gens=3, append="rig.hang=2",
                 boot_timeout=25),
     "check": expect_hang},
]
