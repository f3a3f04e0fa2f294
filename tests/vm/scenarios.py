# SPDX-License-Identifier: GPL-2.0
"""The VM scenarios run by tests/run.py, in order.

Each entry: "name" (shown in the TAP file), "run" (arguments of rig.run),
and optionally "check", a function turning the rig.Result into
(ok, description, diagnostics) tuples when the default judgement (every
check passed, every generation done) is not what the scenario proves,
or "extra", checks added to the default judgement, and "reports",
substrings of the kernel reports (WARNING, BUG, ...) the scenario
provokes on purpose; any other report fails it.

Every KHO scenario runs in three configurations: bitmap mode (the
default), the memblock_reserve reference mode (kho_mode=memblock), and
with KASLR on, two QEMU nodes and 6 GiB, memory above 4 GiB, so that
deferred init runs per node threads late (the plain x86 kernel has
deferred struct page init and NUMA, as Debian's has; rig.run boots it
with nokaslr unless a scenario asks for kaslr=True).
"""
import os
import re

import upgrade


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


def same_accounting(res):
    """Bitmap and memblock mode account the same memory the same way."""
    a = res.info.get(2, {})
    b = res.info.get(3, {})
    try:
        ka, kb = int(a["memtotal_kb"]), int(b["memtotal_kb"])
    except (KeyError, ValueError):
        yield (False, "MemTotal reported in generations 2 and 3",
               ["info: %s" % res.info])
        return
    yield (abs(ka - kb) <= 64 and a.get("mode") != b.get("mode"),
           "same MemTotal after restore in %s (%d kB) and %s mode (%d kB)"
           % (a.get("mode"), ka, b.get("mode"), kb), [])


def log_blocks(res, tag):
    """Blocks /init printed as RIG: TAG-BEGIN NAME, RIG: TAG LINE...,
    RIG: TAG-END ARGS: a list of (NAME, [LINE, ...], [ARG, ...])."""
    blocks, cur, name = [], None, None
    for line in res.log:
        i = line.find("RIG: " + tag)
        if i < 0:
            continue
        word, _, rest = line[i + 5:].partition(" ")
        if word == tag + "-BEGIN":
            cur, name = [], rest.strip()
        elif word == tag and cur is not None:
            cur.append(rest)
        elif word == tag + "-END" and cur is not None:
            blocks.append((name, cur, rest.split()))
            cur = None
    return blocks


def khoctl_json(res):
    """khoctl's --json outputs in the liveupdate-khoctl chain (lu_khoctl.c),
    each parsed as JSON and its values checked against what the chain
    did: gen 1 holds session lu-files (4 files and khoctl's manifest),
    gen 2 shows it waiting, then taken and finished."""
    import json
    seen = {}
    for tag in ("status", "sessions", "timeline", "check"):
        for name, lines, args in log_blocks(res, "JS_" + tag):
            text = "\n".join(lines)
            try:
                obj = json.loads(text)
            except ValueError as e:
                yield (False, "khoctl %s --json in %s is JSON" % (tag, name),
                       [str(e), text[:2000]])
                continue
            rc = int(args[0]) if args else -1
            seen.setdefault((tag, name), []).append((rc, obj))
            yield (obj.get("schema") == "khoctl-%s-v1" % tag,
                   "khoctl %s --json in %s: schema khoctl-%s-v1"
                   % (tag, name, tag), [text[:2000]])

    def one(tag, gen, i=0):
        runs = seen.get((tag, "gen%d" % gen), [])
        return runs[i] if len(runs) > i else (None, {})

    def lu_files(sessions, direction):
        return [s for s in sessions.get(direction, [])
                if s.get("name") == "lu-files"]

    rc, st = one("status", 1)
    yield (rc == 0 and st.get("kho") is True and
           st.get("incoming", {}).get("state") == "none" and
           st.get("outgoing", {}).get("preserved_pages", 0) > 0,
           "gen 1 status --json: KHO on, pages preserved, no incoming "
           "handover", [str(st)[:1500]])
    rc, se = one("sessions", 1)
    out = lu_files(se, "outgoing")
    files = out[0]["files"] if out else []
    yield (rc == 0 and len(files) == 5 and
           sorted(int(f["token"]) for f in files) == [0, 1, 2, 3, 4] and
           sum(f["bytes"] for f in files if f["token"] != "0") ==
           1000 + 2 * 4096 + 1 + (3 << 20),
           "gen 1 sessions --json: lu-files outgoing, tokens 0-4, the "
           "files' bytes", [str(se)[:1500]])
    rc, tl = one("timeline", 1)
    yield (rc == 0 and tl.get("generation") == 1 and
           tl.get("records") == [],
           "gen 1 timeline --json: generation 1, no reboot yet",
           [str(tl)[:1500]])
    rc, ck = one("check", 1)
    ids = [p["id"] for p in ck.get("problems", [])]
    yield (rc == 0 and ck.get("ok") is True and
           ck.get("outgoing_sessions", 0) >= 1 and
           "holders-unknown" not in ids,
           "gen 1 check: exit 0, ok, the holder of lu-files found in "
           "/proc (exit %s, problems %s)" % (rc, ids), [str(ck)[:1500]])
    rc, ck = one("check", 2, 0)
    errs = [p for p in ck.get("problems", []) if p["severity"] == "error"]
    yield (rc == 3 and ck.get("ok") is False and
           any(p["id"] == "incoming-unfinished" and "lu-files" in
               p["message"] for p in errs),
           "gen 2 check before take: exit 3, incoming-unfinished lu-files "
           "(exit %s)" % rc, [str(ck)[:1500]])
    rc, se = one("sessions", 2, 0)
    inc = lu_files(se, "incoming")
    yield (rc == 0 and len(inc) == 1 and len(inc[0]["files"]) == 5 and
           not any(f["retrieved"] for f in inc[0]["files"]),
           "gen 2 sessions --json before take: lu-files incoming, 5 files "
           "not retrieved", [str(se)[:1500]])
    rc, ck = one("check", 2, 1)
    yield (rc == 0 and ck.get("ok") is True and
           not any("lu-files" in p["message"]
                   for p in ck.get("problems", [])),
           "gen 2 check after take (no debugfs): exit 0, lu-files no "
           "longer a problem (exit %s)" % rc, [str(ck)[:1500]])
    rc, se = one("sessions", 2, 1)
    inc = lu_files(se, "incoming")
    # a finished session whose descriptor is closed leaves the listing
    yield (rc == 0 and se.get("schema") and
           all(s.get("state") == "finished" for s in inc),
           "gen 2 sessions --json after take: lu-files finished and gone",
           [str(se)[:1500]])
    rc, st = one("status", 2)
    yield (rc == 0 and st.get("incoming", {}).get("state") == "accepted" and
           str(st.get("incoming", {}).get("root", "")).startswith("0x"),
           "gen 2 status --json: incoming handover accepted",
           [str(st)[:1500]])
    rc, tl = one("timeline", 2)
    recs = tl.get("records", [])
    yield (rc == 0 and tl.get("generation") == 2 and len(recs) == 1 and
           recs[0].get("kho") is True and
           (recs[0].get("phases_ms", {}).get("total") or 0) > 0,
           "gen 2 timeline --json: one KHO reboot with its total",
           [str(tl)[:1500]])


def dts_parses(res):
    """khoctl dump output, captured in the VM, is parsed back by dtc."""
    import subprocess
    import tempfile
    blocks = [(name, "\n".join(lines) + "\n")
              for name, lines, _ in log_blocks(res, "DTS")]
    if not blocks:
        yield (False, "khoctl dump output captured", [])
    for name, text in blocks:
        with tempfile.NamedTemporaryFile("w", suffix=".dts") as f:
            f.write(text)
            f.flush()
            p = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb",
                                "-o", "/dev/null", f.name],
                               capture_output=True, text=True)
        yield (p.returncode == 0,
               "khoctl dump %s parsed back by dtc -I dts" % name,
               p.stderr.splitlines()[-10:] + text.splitlines()[:20])
    refused = [ln for ln in res.log if "load refused" in ln]
    yield (len(refused) >= 2,
           "each refused kexec_load logged one line naming the range",
           refused)


def captures_accepted(res):
    """Handovers captured in the VM decode and pass the user-space validator.

    Written to build/fuzz/vm-captured/ ("make fuzz-seeds" copies them into
    tests/fuzz/vm-corpus/, the seed corpus of the fuzz run).
    """
    import base64
    import os
    import subprocess
    import zlib
    import rig
    outdir = os.path.join(rig.BUILD, "fuzz", "vm-captured")
    os.makedirs(outdir, exist_ok=True)
    files = []
    for name, lines, (size, crc) in log_blocks(res, "CAP"):
        try:
            data = base64.b64decode("".join(ln.strip() for ln in lines))
        except ValueError:
            data = b""
        ok = len(data) == int(size) and zlib.crc32(data) == int(crc, 16)
        yield (ok, "capture %s arrived intact (%s bytes)" % (name, size), [])
        if ok:
            path = os.path.join(outdir, "%s-%s" % (res.name.split("@")[-1],
                                                   name))
            with open(path, "wb") as f:
                f.write(data)
            files.append(path)
    if not files:
        yield (False, "handovers captured", [])
        return
    p = subprocess.run(["make", "-s", "-C", os.path.join(rig.TOP, "tests/fuzz"),
                        "B=" + rig.BUILD, os.path.join(rig.BUILD, "fuzz",
                                                       "replay")],
                       capture_output=True, text=True)
    if p.returncode:
        yield (False, "build the replay tool", p.stderr.splitlines()[-20:])
        return
    p = subprocess.run([os.path.join(rig.BUILD, "fuzz", "replay")] + files,
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        yield (": accepted" in line, "user-space validator on " +
               os.path.basename(line), [p.stderr[-2000:]])


# Two NUMA nodes of 3 GiB each: RAM above 4 GiB lands in ZONE_NORMAL,
# whose struct pages deferred init initialises late.
NUMA = ["-object", "memory-backend-ram,size=3G,id=m0",
        "-object", "memory-backend-ram,size=3G,id=m1",
        "-numa", "node,nodeid=0,cpus=0,memdev=m0",
        "-numa", "node,nodeid=1,cpus=1,memdev=m1"]

# The same 6 GiB, but node 0 ends one page past 4 GiB: a zone boundary
# only an order-1 block (two pages, one in each node) crosses.
NUMA_UNALIGNED = ["-object", "memory-backend-ram,size=3145732K,id=m0",
                  "-object", "memory-backend-ram,size=3145724K,id=m1",
                  "-numa", "node,nodeid=0,cpus=0,memdev=m0",
                  "-numa", "node,nodeid=1,cpus=1,memdev=m1"]

KHO = [
    ("kho-chain", dict(name="kho", gens=4, mem="1G", append="kho=on")),
    ("kho-512M-2G", dict(name="kho@big", gens=3, mem="2G", boot_timeout=300,
                         append="kho=on test_kho.size=512M")),
    ("kho-off-in-gen2",
     dict(name="kho@off", gens=2, mem="512M",
          append="kho=on rig.next.kho=- rig.next.rig.expect=refused "
                 "rig.next.rig.expect_reason=kho=on rig.kho_off=1")),
    ("kho-bad-root",
     dict(name="kho@badroot", gens=2, mem="512M",
          append="kho=on kho_root=0x1000 rig.expect=refused "
                 "rig.expect_reason=does_not_point rig.next.kho_root=- "
                 "rig.next.rig.expect=accepted")),
]


HASH_RE = re.compile(r"\] (\S[^:\]]* hash table entries): (\d+)")


def by_generation(res):
    """The serial log cut into generations at each "Linux version"."""
    gens = []
    for line in res.log:
        if "Linux version" in line:
            gens.append([])
        if gens:
            gens[-1].append(line)
    return gens


ADOPT_RE = re.compile(r"HugeTLB: (\d+) kept (\S+ \S+) pages adopted: (\d+) into "
                      r"the pool's room, (\d+) in place of free pool pages, "
                      r"(\d+) surplus")
ROOM_RE = re.compile(r"HugeTLB: (\d+) of (\d+) boot-time (\S+ \S+) pages left "
                     r"to the pages the last kernel kept")


def hugetlb_room(replaced=0):
    """Generation 2 boots with a pool (hugepages=) while huge pages are
    kept: the pool leaves room for them (one line), and they are adopted
    into that room, @replaced of them (those a node's share had no room
    for) in place of a free pool page that is then freed, none surplus:
    no pool page is taken at boot only to be freed again."""
    def check(res):
        gens = by_generation(res)
        g2 = gens[1] if len(gens) > 1 else []
        room = [m for m in map(ROOM_RE.search, g2) if m]
        adopt = [m for m in map(ADOPT_RE.search, g2) if m]
        yield (bool(room) and int(room[0].group(1)) > 0,
               "gen2: the boot-time pool left room for the kept huge pages: %s"
               % (room[0].group(0) if room else "no such line"),
               g2[-30:] if not room else [])
        ok = len(adopt) == 1 and int(adopt[0].group(4)) == replaced and \
            int(adopt[0].group(5)) == 0 and \
            int(adopt[0].group(3)) + replaced == int(adopt[0].group(1))
        yield (ok, "gen2: kept huge pages adopted into the room, %d in place "
               "of free pool pages, none surplus: %s" %
               (replaced, adopt[0].group(0) if adopt else "no such line"),
               [] if ok else [m.group(0) for m in adopt] + g2[-30:])
    return check


TOPUP_RE = re.compile(r"HugeTLB: (\d+) \S+ \S+ pages of room no kept page took: "
                      r"the pool has (\d+)")


def hugetlb_topup(res):
    """A kept huge page lost with its damaged record: the room the boot-time
    pool left for it is taken after late_initcall (one line)."""
    gens = by_generation(res)
    g2 = gens[1] if len(gens) > 1 else []
    m = [m for m in map(TOPUP_RE.search, g2) if m]
    yield (len(m) == 1 and m[0].group(1) == "1" and m[0].group(2) == "8",
           "gen2: the room of the lost huge page taken after late_initcall: %s"
           % (m[0].group(0) if m else "no such line"), g2[-30:] if not m else [])


def same_hash_tables(res):
    """System hash tables are sized from RAM, not from scratch: every
    generation booted by a handover sizes them as the cold boot did."""
    tables = [dict(m.groups() for m in map(HASH_RE.search, g) if m)
              for g in by_generation(res)]
    if len(tables) < 2 or not tables[0]:
        yield (False, "hash table sizes logged in every generation",
               ["%d generations, %s" % (len(tables), tables[:1])])
        return
    for gen, t in enumerate(tables[1:], 2):
        diff = ["%s: %s cold, %s in gen%d" % (k, v, t.get(k), gen)
                for k, v in sorted(tables[0].items()) if t.get(k) != v]
        yield (not diff, "gen%d sizes its %d hash tables as the cold boot "
               "did" % (gen, len(tables[0])), diff)


def no_leak_on_refusal(res):
    """A handover refused half-way through its reservations leaks none:
    the refused generation has the cold boot's MemTotal."""
    try:
        a = int(res.info[1]["memtotal_kb"])
        b = int(res.info[2]["memtotal_kb"])
    except (KeyError, ValueError):
        yield (False, "MemTotal reported in generations 1 and 2",
               ["info: %s" % res.info])
        return
    yield (abs(a - b) <= 1024, "refused generation has the cold boot's "
           "MemTotal (%d kB vs %d kB)" % (b, a), [])


def log_has(text, what, gen, n=1):
    """Generation @gen logged @n lines containing @text."""
    def check(res):
        gens = by_generation(res)
        hits = [ln for ln in gens[gen - 1] if text in ln] \
            if len(gens) >= gen else []
        yield (len(hits) == n, "gen%d: %s: %s (%d)" %
               (gen, what, "one log line" if n == 1 else
                "%d log lines" % n, len(hits)), hits[:5])
    return check


TL_RE = re.compile(r"kexec-timeline: gen=(\d+) via=(\w+) kho=(\w+) (.*) ms "
                   r"reloc_bytes=(\d+) planned_bytes=(\d+) hash_bytes=(\d+)(.*)")
TL_PHASES = ("shutdown", "handoff", "reloc", "purgatory", "boot", "mm",
             "init", "total")


def timeline_lines(res):
    """Per generation, its kexec-timeline lines: [(gen, [line, ...])]."""
    return [(g, [ln[ln.index("kexec-timeline: "):] for ln in lines
                 if "kexec-timeline: gen=" in ln])
            for g, lines in enumerate(by_generation(res), 1)]


def parse_timeline(line):
    """A kexec-timeline line as a dict, or None."""
    m = TL_RE.search(line)
    if not m:
        return None
    d = dict(kv.split("=", 1) for kv in m.group(4).split())
    d.update(gen=int(m.group(1)), via=m.group(2), kho=m.group(3),
             reloc_bytes=int(m.group(5)), planned_bytes=int(m.group(6)),
             hash_bytes=int(m.group(7)), clamped="clamped" in m.group(8))
    return d


def timeline(kho="on", zero_copy=True, via="file", khoctl=True,
             purgatory=True):
    """Every generation prints one kexec-timeline line: the cold boot its
    own, every later one the phases of the reboot that started it, all
    recorded (purgatory only for kexec_file_load, and not at all without
    @purgatory: arm64's kexec_file_load has none), none clamped, the
    bytes relocate_kernel copied equal to what the relocation list held
    (0 with zero copy). The last generation's "khoctl timeline --points"
    lists every reboot with the same figures and points in order."""
    def check(res):
        recs = {}
        for g, hits in timeline_lines(res):
            if g == 1:
                yield (len(hits) == 1 and "gen=1 cold" in hits[0],
                       "gen1: one cold-boot kexec-timeline line", hits)
                continue
            d = parse_timeline(hits[0]) if len(hits) == 1 else None
            yield (d is not None and d["gen"] == g,
                   "gen%d: one kexec-timeline line for gen %d" % (g, g), hits)
            if not d:
                continue
            recs[g] = d
            want = [p for p in TL_PHASES
                    if p != "purgatory" or (d["via"] == "file" and
                                            purgatory)]
            missing = [p for p in want if d.get(p, "-") == "-"]
            yield (not missing and not d["clamped"] and d["kho"] == kho and
                   (via is None or d["via"] == via),
                   "gen%d: every phase recorded and in order, kho=%s "
                   "via=%s" % (g, kho, via or d["via"]), hits)
            if zero_copy is None:
                yield (d["reloc_bytes"] == d["planned_bytes"],
                       "gen%d: relocate_kernel copied what was planned "
                       "(%d of %d bytes)" % (g, d["reloc_bytes"],
                                              d["planned_bytes"]), hits)
            elif zero_copy:
                yield (d["reloc_bytes"] == 0 and d["planned_bytes"] == 0,
                       "gen%d: the reboot relocated 0 bytes (%d planned, "
                       "%d copied)" % (g, d["planned_bytes"],
                                       d["reloc_bytes"]), hits)
            else:
                yield (d["reloc_bytes"] == d["planned_bytes"] > 0,
                       "gen%d: relocate_kernel copied what was planned "
                       "(%d of %d bytes)" % (g, d["reloc_bytes"],
                                              d["planned_bytes"]), hits)
        if not khoctl:
            return
        blocks = log_blocks(res, "TL")
        rows = {}
        points_ok = True
        for line in (blocks[-1][1] if blocks else []):
            f = line.split()
            if f and f[0].isdigit() and len(f) == 14:
                rows[int(f[0])] = f
            if "points" in line:
                vals = [float(kv.split("=")[1]) for kv in f[7:]
                        if kv.split("=")[1] != "-"]
                points_ok &= vals == sorted(vals) and len(vals) >= 7
        same = all(g in rows and int(rows[g][11]) == d["reloc_bytes"] and
                   int(rows[g][13]) == d["hash_bytes"] and
                   abs(float(rows[g][3]) - float(d["shutdown"])) < 0.0015
                   for g, d in recs.items())
        yield (bool(blocks) and blocks[-1][2] == ["0"] and same and
               points_ok and len(rows) == len(recs),
               "khoctl timeline lists every reboot (%d) with the boot "
               "lines' figures, points in order" % len(recs),
               blocks[-1][1] if blocks else ["no TL block"])
    return check


def purgatory_stopped(res):
    """Generation 1 corrupted a segment after loading it and kexeced:
    purgatory must refuse to start generation 2 (the run hangs)."""
    gens = by_generation(res)
    hit = [ln for ln in (gens[0] if gens else [])
           if "corrupted in-place kexec segment" in ln]
    yield (len(hit) == 1, "gen1: a segment corrupted after the load", hit)
    yield (len(gens) == 1 and any("hang" in e for e in res.errors),
           "purgatory's xxh64 check stops the reboot: gen2 never starts",
           ["generations seen: %d, errors: %s" % (len(gens), res.errors)])


TEST_KHO_RE = re.compile(r"test_kho: gen (\d+): handover (\w+), restored (\d+) "
                         r"folios, verified (\d+) bytes, (\d+) bad, (\d+) "
                         r"missing")


def arm64_chain(refused_in=None, reason="", mode="bitmap", via="file"):
    """The arm64 KHO chain (no x86 rig checks): generation 1 cold; every
    later one accepted the handover from /chosen and the chain test
    restored and checked every byte of 64 MiB of folios of random orders,
    except generation @refused_in, which refused it with @reason and booted
    as from cold; every load was in place; each reboot is in the timeline
    with every phase but purgatory (arm64's kexec_file_load has none) and
    0 bytes relocated, the history kept across a refused handover (it
    also travels in /chosen); @via: how the reboots were loaded, None if
    mixed."""
    def check(res):
        gens = by_generation(res)
        yield (len(gens) >= 2, "arm64: %d generations booted" % len(gens),
               [])
        for g, lines in enumerate(gens, 1):
            tk = [m for m in map(TEST_KHO_RE.search, lines) if m]
            acc = [ln for ln in lines if "KHO: handover accepted" in ln]
            ref = [ln for ln in lines if "handover refused" in ln]
            if g == 1:
                yield (len(tk) == 1 and tk[0].group(2) == "no",
                       "arm64 gen1: cold boot, the chain test preserved "
                       "its folios", lines[-5:])
                continue
            if g == refused_in:
                yield (len(ref) == 1 and reason in ref[0] and not acc and
                       len(tk) == 1 and tk[0].group(2) == "no",
                       "arm64 gen%d: handover refused in one line (%s), "
                       "booted as from cold" % (g, reason), ref + acc)
                continue
            ok = (len(acc) == 1 and mode + " mode" in acc[0] and
                  len(tk) == 1 and
                  tk[0].group(2) == "yes" and int(tk[0].group(3)) > 0 and
                  tk[0].group(4) == str(64 << 20) and
                  tk[0].group(5) == "0" and tk[0].group(6) == "0")
            yield (ok, "arm64 gen%d: handover accepted from /chosen (%s "
                   "mode), every byte of 64 MiB restored and checked" %
                   (g, mode),
                   acc + [m.group(0) for m in tk])
        loads = [ln for ln in res.log if "KHO: kexec: " in ln and
                 "point of coherency" not in ln]
        yield (bool(loads) and all("loaded in place" in ln for ln in loads),
               "arm64: every kexec image loaded in place (%d)" % len(loads),
               loads)
        yield from timeline(via=via, purgatory=False)(res)
    return check


RELEASED_RE = re.compile(r"KHO: released (\d+) KiB of preserved memory "
                         r"nobody restored")


def unclaimed_released(res):
    """Gen2 restored nothing (test_kho.restore=0): the 64 MiB of folios
    gen1 preserved are unclaimed and given back to the allocator in one
    line; gen2 preserves anew and gen3 restores all of it."""
    gens = by_generation(res)
    for g in (2, 3):
        lines = gens[g - 1] if len(gens) >= g else []
        rel = [int(m.group(1)) for m in map(RELEASED_RE.search, lines) if m]
        tk = [m for m in map(TEST_KHO_RE.search, lines) if m]
        if g == 2:
            yield (len(rel) == 1 and rel[0] >= 64 << 10 and len(tk) == 1 and
                   tk[0].group(3) == "0",
                   "gen2: restored nothing; the %s KiB gen1 preserved "
                   "released in one line" % (rel[0] if rel else "?"),
                   lines[-3:] if not rel else [])
        else:
            yield (len(rel) == 1 and rel[0] == 0 and len(tk) == 1 and
                   tk[0].group(2) == "yes" and
                   tk[0].group(4) == str(64 << 20) and
                   tk[0].group(5) == "0" and tk[0].group(6) == "0",
                   "gen3: every byte of gen2's 64 MiB restored, nothing "
                   "left to release", [m.group(0) for m in tk])


POC_RE = re.compile(r"kexec: (\d+) of (\d+) in-place segments cleaned to "
                    r"the point of coherency at load")


def cleaned_poc(gens, required=True):
    """arm64: every in-place segment of each reboot in @gens was cleaned
    to the point of coherency at load (QEMU models no caches: the
    kernel's count is the evidence). @required: the line must be there,
    else only checked when it is (no segment in place)."""
    def check(res):
        by_gen = by_generation(res)
        for g in gens:
            lines = [m for m in (POC_RE.search(ln) for ln in
                                 (by_gen[g - 1] if len(by_gen) >= g else []))
                     if m]
            ok = (bool(lines) or not required) and all(
                m.group(1) == m.group(2) and int(m.group(2)) > 0
                for m in lines)
            yield (ok, "gen%d: every in-place segment cleaned to the point "
                   "of coherency (%s)" % (g, ", ".join(
                       "%s of %s" % m.groups() for m in lines) or "none"),
                   [m.group(0) for m in lines])
    return check


def arm64_scenarios():
    run = dict(gens=3, mem="1G", smp=2, variant="arm64", boot_timeout=180)
    # the rig's KHO scenario too: scratch, the kernel inside it, debugfs
    yield {"name": "arm64-kho-chain",
           "run": dict(run, name="kho@arm64", append="kho=on"),
           "extra": both(arm64_chain(), cleaned_poc((1, 2)))}
    yield {"name": "arm64-kho-chain-memblock",
           "run": dict(run, name="kho@arm64-memblock",
                       append="kho=on kho_mode=memblock"),
           "extra": arm64_chain(mode="memblock")}
    # the KHO KUnit suites (tracker, state tree, preserve refusals)
    yield {"name": "arm64-kunit",
           "run": dict(run, name="chain@arm64-kunit", gens=1, kunit=True,
                       append="kho=on")}
    # /dev/liveupdate: the contract, sessions and memfds (256 MiB among
    # them) across two kexecs checked byte for byte, stress, damaged
    # records, the memfd corners, khoctl keep/take
    yield from liveupdate("arm64")
    # The kexec_load path: gen2 loads gen3 with Debian's arm64
    # kexec-tools (--dtb with the device tree gen2 booted with,
    # --mem-min/--mem-max in scratch, kho_root= on --append); gen3 loads
    # gen4 with kexec_file_load() again. gen2's device tree still carries
    # the /chosen handover gen1 gave it: it must not reach gen3.
    yield {"name": "arm64-kexec-tools",
           "run": dict(run, name="kho@arm64-kexec-tools", gens=4,
                       append="kho=on rig.next2.rig.loader=kexec-tools"),
           "extra": both(arm64_chain(via=None), log_has(
               "kexec-tools kexec -l with --mem-min/--mem-max in scratch: "
               "exit 0", "gen2 loaded gen3 with kexec-tools", 2))}
    # The stock reboot (KHO off): arm64_relocate_new_kernel copies every
    # page with the MMU on, and stamps its start and end; the history
    # travels in /chosen.
    yield {"name": "arm64-kexec-timeline-stock",
           "run": dict(run, name="chain@arm64-stock", append="kho=off"),
           "extra": timeline(kho="off", zero_copy=False, purgatory=False)}
    # Scratch fragmented in gen1: the copy path, all of what was planned
    # copied with the MMU on; gen2 and later are in place again.
    yield {"name": "arm64-kho-zerocopy-fallback",
           "run": dict(run, name="kho@arm64-fallback",
                       append="kho=on kho_debug_fragment_scratch=2 "
                              "rig.next.kho_debug_fragment_scratch=-"),
           "extra": both(log_has("not placed in free scratch",
                                 "fallback to the copy path said once", 1),
                         lambda res: (
                             c for c in timeline(khoctl=False,
                                                 purgatory=False)(res)
                             if not c[1].startswith("gen2: the reboot")),
                         fallback_copied,
                         cleaned_poc((1,), required=False),
                         cleaned_poc((2,)))}
    # arm64 places the kernel bottom-up and its initrd and device tree
    # above it: scratch must be offered in address order. Here the low
    # area (8 MiB, too small for kernel and initrd) lies above the
    # global one.
    yield {"name": "arm64-kho-scratch-order",
           "run": dict(run, name="kho@arm64-scratch-order",
                       append="kho=on kho_scratch=8M,600M"),
           "extra": arm64_chain()}
    # memory preserved but not restored goes back to the allocator
    yield {"name": "arm64-kho-unclaimed-release",
           "run": dict(run, name="chain@arm64-unclaimed",
                       append="kho=on rig.next2.test_kho.restore=0 "
                              "rig.next3.test_kho.restore=-"),
           "extra": unclaimed_released}
    # every corruption of the x86 list; setup_magic damages the magic of
    # /chosen/linux,kho-handover here
    for what, reason, *_ in CORRUPTIONS:
        yield {"name": "arm64-corrupt-" + what.replace("_", "-"),
               "run": dict(run, name="chain@arm64-" + what,
                           append="kho=on rig.corrupt=" + what),
               "extra": arm64_chain(2, reason)}


def fallback_copied(res):
    """Gen2 was booted with the copy path: relocate_kernel copied exactly
    what the relocation list held, several MiB."""
    gens = dict(timeline_lines(res))
    d = parse_timeline(gens.get(2, [""])[0]) if len(gens.get(2, [])) == 1 \
        else None
    yield (d is not None and
           d["reloc_bytes"] == d["planned_bytes"] >= 4 << 20,
           "gen2: the reboot copied the segments not in place (%s of %s "
           "bytes)" % (d and d["reloc_bytes"], d and d["planned_bytes"]),
           gens.get(2, []))


def kho_variants():
    for name, run in KHO:
        sc = {"name": name, "run": dict(run, smp=2)}
        if name == "kho-chain":
            sc["extra"] = both(same_hash_tables, timeline())
        yield sc
    for name, run in KHO:
        r = dict(run, smp=2, name=run["name"] + "@memblock")
        r["append"] = run["append"] + " kho_mode=memblock"
        sc = {"name": name + "-memblock", "run": r}
        if name == "kho-chain":
            sc["extra"] = both(same_hash_tables, timeline())
        yield sc
    for name, run in KHO:
        r = dict(run, smp=2, name=run["name"] + "@deferred", mem="6G",
                 kaslr=True, qemu_extra=NUMA, boot_timeout=300)
        sc = {"name": name + "-deferred-numa", "run": r}
        if name == "kho-chain":
            sc["extra"] = both(kaslr_moved(), same_hash_tables,
                               timeline())
        yield sc


def both(*checks):
    def check(res):
        for c in checks:
            yield from c(res)
    return check


def kaslr_moved(first=2):
    """With kaslr=True, after a handover the decompressor picks a random
    place inside the scratch it was handed. Generation 1 is
    a cold boot (random over all RAM) and does not count: from generation
    @first on, at least three accepted generations of the same kernel must
    not all land on the same address (with even 10 slots in scratch, three
    random picks agree once in 100 runs; the VMs have many more)."""
    def check(res):
        gens = [g for g in sorted(res.info)
                if g >= first and "kernel_phys" in res.info[g]]
        addrs = [res.info[g]["kernel_phys"] for g in gens]
        yield (len(addrs) >= 3 and len(set(addrs)) >= 2,
               "KASLR placed the kernel at %d different addresses in %d "
               "accepted generations from gen%d on (%s)" %
               (len(set(addrs)), len(addrs), first, " ".join(addrs)), [])
        # and the decompressor says it picked among several places
        for g in gens:
            i = res.info[g]
            yield (i.get("kaslr") == "random" and
                   int(i.get("kaslr_slots", "0")) >= 2,
                   "gen%d: the decompressor reports a random place among "
                   "%s in scratch (%s)" % (g, i.get("kaslr_slots"),
                                           i.get("kaslr")), [])
    return check


SCRATCH_RE = re.compile(r"KHO: scratch (\d+): (0x[0-9a-f]+) \+ (0x[0-9a-f]+)")


def scratch_areas(res, gen=1):
    """The scratch areas generation @gen logged: [(addr, size), ...]."""
    gens = by_generation(res)
    lines = gens[gen - 1] if len(gens) >= gen else []
    return [(int(m.group(2), 16), int(m.group(3), 16))
            for m in map(SCRATCH_RE.search, lines) if m]


def scratch_within(limit_mib, low=False):
    """The cold boot's scratch totals at most @limit_mib MiB (half its
    memory) and, with @low, still has an area below 4 GiB."""
    def check(res):
        areas = scratch_areas(res)
        total = sum(size for _, size in areas) >> 20
        yield (bool(areas) and total <= limit_mib,
               "gen1: %d scratch areas, %d MiB in all (at most %d MiB)"
               % (len(areas), total, limit_mib),
               ["0x%x + 0x%x" % a for a in areas])
        if low:
            lows = [a for a in areas if a[0] + a[1] <= 1 << 32]
            yield (len(areas) >= 2 and bool(lows),
                   "gen1: a low area below 4 GiB besides the global one",
                   ["0x%x + 0x%x" % a for a in areas])
    return check


def every_gen_has(pattern, what):
    """Every generation logged a line matching @pattern (a regex)."""
    rx = re.compile(pattern)

    def check(res):
        gens = by_generation(res)
        for gen, lines in enumerate(gens, 1):
            hits = [ln for ln in lines if rx.search(ln)]
            yield (len(hits) >= 1, "gen%d: %s" % (gen, what),
                   [ln for ln in lines if "IO TLB" in ln or
                    "crashkernel" in ln or "KHO: " in ln][:10])
    return check


# Damage done to the outgoing handover just before kexec, and the reason
# the next kernel must give for refusing it. The third generation proves
# a clean KHO chain works again.
CORRUPTIONS = [
    ("root_magic", "not a valid FDT"),
    ("compatible", "unknown compatible"),
    ("page_size", "another page size"),
    ("tracker_ptr", "tracker node outside RAM"),
    ("tracker_cycle", "reached twice"),
    ("bit_over_kernel", "over scratch/kernel"),
    ("scratch_overlap", "overlapping scratch"),
    ("scratch_kernel", "kernel image not inside scratch"),
    ("scratch_small", "scratch too small"),
    ("scratch_initrd", "initrd not inside scratch"),
    # on the KASLR kernel: the decompressor must not trust it either
    ("setup_magic", "bad handover magic",
     dict(kaslr=True, mem="1G", boot_timeout=300)),
]

SEGMENT_RE = re.compile(r"KHO: debug: kexec segment \d+: (0x[0-9a-f]+) "
                        r"\+ (0x[0-9a-f]+)")


def kernel_stayed(res):
    """With the setup data's magic damaged, the KASLR decompressor keeps
    the kernel where kexec loaded it (the largest segment), in scratch."""
    segs = [(int(a, 16), int(b, 16))
            for a, b in SEGMENT_RE.findall("\n".join(res.log))]
    phys = res.info.get(2, {}).get("kernel_phys")
    if not segs or not phys:
        yield (False, "gen2: kernel place and kexec segments logged", [])
        return
    mem, size = max(segs, key=lambda s: s[1])
    k = int(phys, 16)
    yield (mem <= k < mem + size,
           "gen2: the decompressor kept the kernel where kexec loaded it "
           "(%s in 0x%x + 0x%x)" % (phys, mem, size), [])


def corruptions():
    for what, reason, *more in CORRUPTIONS:
        run = dict(name="kho@corrupt-" + what, gens=3, mem="512M",
                   smp=2, append="kho=on rig.corrupt=%s "
                   "rig.next2.rig.expect=refused "
                   "rig.next2.rig.expect_reason=%s "
                   "rig.next3.rig.expect=accepted "
                   "rig.next3.rig.datagen=2"
                   % (what, reason.replace(" ", "_")))
        run.update(*more)
        sc = {"name": "corrupt-" + what.replace("_", "-"), "run": run}
        if what == "setup_magic":
            sc["extra"] = kernel_stayed
        yield sc
    yield {"name": "corrupt-blob-size",
           "run": dict(name="kho@corrupt-blob_size", gens=2, mem="512M",
                       smp=2, append="kho=on rig.corrupt=blob_size "
                       "rig.next2.rig.expect_error=blob")}


# Live update (/dev/liveupdate, tools/init/liveupdate.c): the ioctl
# contract, memfds across a 2-kexec chain, stress, corrupt records.
LU_CORRUPTIONS = [
    ("version", "session records refused: unknown format"),
    ("session", "session 1 refused: bad number of files"),
    ("pointer", "session 1 refused: file page not preserved"),
    # the pointer names the next session's memfd header, a preserved page:
    # refused before it is taken, that memfd intact
    ("record", "session 1 refused: bad file page"),
]


def liveupdate(arch=""):
    """The /dev/liveupdate scenarios; @arch "arm64" runs them on arm64
    (names prefixed "arm64-")."""
    lu = "kho=on test_kho.size=16M rig.lu="
    pre = arch + "-" if arch else ""
    var = dict(variant=arch) if arch else {}
    yield {"name": pre + "liveupdate-contract",
           "run": dict(name="kho@%slu-contract" % pre, gens=1, mem="512M",
                       smp=2, append=lu + "contract", **var)}
    # 256 MiB, 4 MiB with holes, sealed, 0 bytes, 1 page: 1 GiB VM
    yield {"name": pre + "liveupdate-chain",
           "run": dict(name="kho@%slu-chain" % pre, gens=3, mem="1G", smp=2,
                       boot_timeout=300, append=lu + "chain rig.lu_list=1",
                       **var)}
    # the same with every memfd of 2 pages or more kept by 4 CPUs at once
    # (liveupdate.memfd_split_pages=1): chains joined across entry pages,
    # empty parts, parts that fit in the page before
    yield {"name": pre + "liveupdate-chain-split",
           "run": dict(name="kho@%slu-chain-split" % pre, gens=3, mem="1G",
                       smp=4, boot_timeout=300,
                       append=lu + "chain liveupdate.memfd_split_pages=1",
                       **var)}
    # memfds in 2 MiB folios kept in parts: share boundaries that cut a
    # folio (7 x 2 MiB on 3 CPUs; 1000 MiB on 6) once kept it twice
    yield {"name": pre + "liveupdate-chain-thp-split",
           "run": dict(name="kho@%slu-chain-thp-split" % pre, gens=3,
                       mem="1G", smp=3, boot_timeout=300,
                       append=lu + "chain rig.lu_thp=1 rig.lu_big=14M "
                       "liveupdate.memfd_split_pages=1", **var)}
    if not arch:
        yield {"name": "liveupdate-chain-thp-1000m",
               "run": dict(name="kho@lu-chain-thp-1000m", gens=2, mem="2G",
                           smp=6, boot_timeout=300,
                           append=lu + "chain rig.lu_thp=1 rig.lu_big=1000M")}
    yield {"name": pre + "liveupdate-stress",
           "run": dict(name="kho@%slu-stress" % pre, gens=2, mem="1G",
                       smp=2, boot_timeout=300, append=lu + "stress", **var)}
    for what, line in LU_CORRUPTIONS:
        yield {"name": pre + "liveupdate-corrupt-" + what,
               "run": dict(name="kho@%slu-corrupt-%s" % (pre, what), gens=3,
                           mem="512M", smp=2,
                           append=lu + "corrupt rig.lu_corrupt=" + what,
                           **var),
               "extra": log_has(line, "damaged session records refused",
                                2)}
    # the memfd handler's corners: folios in scratch copied out, size
    # changes refused, zero copy and holes over two kexecs
    yield {"name": pre + "liveupdate-memfd",
           "run": dict(name="kho@%slu-memfd" % pre, gens=3, mem="1G", smp=2,
                       boot_timeout=300,
                       append="kho=on test_kho.size=16M rig.lu_memfd=1",
                       **var)}
    # retrieved memfds fill their page cache as they are used (and all at
    # once with liveupdate.memfd_populate=1)
    for populate in (0, 1):
        yield {"name": pre + "liveupdate-lazy" + ("-populate" if populate
                                                   else ""),
               "run": dict(name="kho@%slu-lazy%s" % (pre, "-populate"
                                                     if populate else ""),
                           gens=3, mem="512M", smp=2,
                           append="kho=on rig.lu_lazy=1" +
                           (" liveupdate.memfd_populate=1" if populate
                            else ""), **var)}
    # a fault on a hole of a lazily restored memfd with shmem THP on in
    # the next kernel must not shadow the kept folios still waiting to
    # enter the page cache; fallocated pages written after PRESERVE_FD
    # are kept (6.12 gives memfds PMD-sized folios only, no mTHP)
    yield {"name": pre + "liveupdate-lazy-thp-hole",
           "run": dict(name="kho@%slu-thp-hole" % pre, gens=2, mem="512M",
                       smp=2, append="kho=on rig.lu_hole=1", **var)}
    # faults into the holes of a memfd being kept (during PRESERVE_FD's
    # walk, split over 4 CPUs; from the freeze to the reboot): refused
    # with SIGBUS or kept, never lost
    if not arch:
        yield {"name": "liveupdate-race-walk",
               "run": dict(name="kho@lu-race-walk", gens=2, mem="1G",
                           smp=4, append="kho=on rig.lu_race=walk")}
    yield {"name": pre + "liveupdate-race-reboot",
           "run": dict(name="kho@%slu-race-reboot" % pre, gens=2,
                       mem="512M", smp=2, append="kho=on rig.lu_race=reboot",
                       **var)}
    # damaged memfd records: each lost with one line, no WARN (a
    # panic with panic_on_warn=1), no folio taken from another file
    if not arch:
        for what, why, n in (("count", "bad header", 1),
                             ("entry", "checksum", 1),
                             ("fields", "bad header", 3),
                             ("hugetlb", "checksum", 1)):
            lost = ("a kept hugetlb memfd is lost: " if what == "hugetlb"
                    else "a kept memfd is lost: ")
            yield {"name": "liveupdate-damage-" + what,
                   "run": dict(name="kho@lu-damage-" + what, gens=2,
                               mem="512M", smp=2,
                               append="kho=on panic_on_warn=1 "
                               "rig.lu_damage=" + what),
                   "extra": both(log_has(lost + why,
                                         "damaged memfd records refused",
                                         2, n),
                                 hugetlb_topup) if what == "hugetlb" else
                   log_has(lost + why, "damaged memfd records refused", 2,
                           n)}
    # a kept memfd half in swap, half paged out and in during
    # PRESERVE_FD: every page kept (the x86 test kernel has swap)
    if not arch:
        yield {"name": "liveupdate-swap",
               "run": dict(name="kho@lu-swap", gens=2, mem="512M", smp=2,
                           append="kho=on rig.lu_swap=1")}
    # O_DIRECT reads into a memfd in KHO scratch (shmem THP) while
    # PRESERVE_FD migrates it out: no completed read lost (brd: x86)
    if not arch:
        yield {"name": "liveupdate-dio",
               "run": dict(name="kho@lu-dio", gens=2, mem="512M", smp=2,
                           append="kho=on rig.lu_dio=2")}
    # two QEMU guests (Debian's 7.2, TCG inside the TCG VM) kept running
    # across two host kexecs by khovm, one in 2 MiB folios writing to its
    # own virtio-blk disk, one in 2 MiB hugetlb pages from the pool each
    # generation boots with; and one whose RAM record the next kernel
    # refuses: reported lost, never started blank, while the other VM
    # comes back on its own
    if not arch:
        yield {"name": "vm-live-update",
               "run": dict(name="kho@vm", gens=3, mem="1536M", smp=2,
                           boot_timeout=900, usr=True, disk=64,
                           append="kho=on hugepages=16 rig.lu_vm=1")}
        yield {"name": "vm-live-update-lost",
               "run": dict(name="kho@vm-lost", gens=2, mem="1536M", smp=2,
                           boot_timeout=900, usr=True,
                           append="kho=on rig.lu_vm=2")}
    # the page cache fill of a retrieved memfd (memfd_populate=1) cut
    # by failed slab allocations: the rest go in on first use, charged
    # to the memory cgroup once (x86 test kernel: MEMCG, DEBUG_VM)
    if not arch:
        yield {"name": "liveupdate-fill-nomem",
               "run": dict(name="kho@lu-nomem", gens=2, mem="512M", smp=2,
                           append="kho=on rig.lu_nomem=1")}
    # ENOSPC where the next kernel would refuse; a retrieved memfd has
    # no set-id bit, keeps F_SEAL_WRITE's rules, honours vm.memfd_noexec
    yield {"name": pre + "liveupdate-rules",
           "run": dict(name="kho@%slu-rules" % pre, gens=2, mem="512M",
                       smp=2, append="kho=on rig.lu_rules=1", **var)}
    # hugetlb memfds (MFD_HUGETLB) of 2 MiB pages, and on x86 of 1 GiB
    # pages (pdpe1gb, room for two): the same huge pages in each
    # generation, the pool counters as after a fault; the 1 GiB chain
    # boots generation 2 with a pool of half its RAM (tools/init/lu_huge.c)
    yield {"name": pre + "liveupdate-hugetlb",
           "run": dict(name="kho@%slu-huge" % pre, gens=3, mem="1G",
                       smp=2, append="kho=on rig.lu_huge=1", **var),
           "extra": hugetlb_room()}
    if not arch:
        # two NUMA nodes: the restored pages counted on their own node
        yield {"name": "liveupdate-hugetlb-deferred-numa",
               "run": dict(name="kho@lu-huge-numa", gens=3, mem="6G",
                           smp=2, kaslr=True, qemu_extra=NUMA,
                           boot_timeout=300, append="kho=on rig.lu_huge=1"),
               "extra": hugetlb_room(4)}
        yield {"name": "liveupdate-hugetlb-1g",
               "run": dict(name="kho@lu-huge-1g", gens=3, mem="8G", smp=2,
                           boot_timeout=300,
                           append="kho=on test_kho.size=0 rig.lu_huge=2",
                           qemu_extra=("-cpu", "qemu64,+pdpe1gb")),
               "extra": hugetlb_room()}
        # hugetlb_cma=: the CMA area reserved after early boot, never in
        # scratch or over the kept 1 GiB page
        yield {"name": "liveupdate-hugetlb-cma",
               "run": dict(name="kho@lu-huge-cma", gens=3, mem="8G", smp=2,
                           boot_timeout=300,
                           append="kho=on test_kho.size=0 rig.lu_huge=3 "
                                  "hugetlb_cma=1G",
                           qemu_extra=("-cpu", "qemu64,+pdpe1gb"))}
    yield {"name": pre + "liveupdate-khoctl",
           "run": dict(name="kho@%slu-khoctl" % pre, gens=2, mem="512M",
                       smp=2, append=lu + "khoctl rig.lu_list=1", **var),
           "extra": khoctl_json}


SCENARIOS = [
    {"name": "kunit",
     "run": dict(name="chain@kunit", gens=1, mem="512M", smp=2, kunit=True)},
    # the preserve API's refusals, in KUnit: needs KHO on
    {"name": "kunit-kho-preserve",
     "run": dict(name="chain@kunit-kho", gens=1, mem="512M", smp=2,
                 kunit=True,
                 append="kho=on kunit.filter_glob=kho_preserve")},
    {"name": "chain",
     "run": dict(name="chain", gens=3, mem="512M", smp=2)},
] + list(kho_variants()) + list(corruptions()) + list(liveupdate()) + \
    list(arm64_scenarios()) + [
    {"name": "kho-user-space",
     "run": dict(name="kho@user", gens=3, mem="1G", smp=2,
                 append="kho=on rig.blob=1 rig.dump=1 rig.badload=1 "
                        "rig.fdtnames=1 "
                        "rig.next2.rig.loader=user rig.next3.rig.blob=-"),
     "extra": dts_parses},
    # preserves the next kernel would refuse are refused at preserve
    # time (6 GiB: RAM has a hole below 4 GiB), and the handover stays
    # valid for everyone else
    {"name": "kho-preserve-refusals",
     "run": dict(name="kho@refusals", gens=2, mem="6G", smp=2,
                 boot_timeout=300,
                 append="kho=on test_kho_harden.refusals=1 rig.hole=1"),
     "extra": log_has("it is in scratch", "scratch refusal warned once", 1)},
    {"name": "kho-release-race",
     "run": dict(name="kho@race", gens=3, mem="1G", smp=2,
                 append="kho=on test_kho_harden.race=500 "
                        "kho_debug_release_delay_us=1000")},
    # an early_initcall restore, before deferred init is done, is refused
    {"name": "kho-early-restore-deferred-numa",
     "run": dict(name="kho@early", gens=2, mem="6G", smp=2,
                 kaslr=True, qemu_extra=NUMA, boot_timeout=300,
                 append="kho=on test_kho_harden.early=1"),
     "extra": log_has("restore refused: struct pages",
                      "early restore refusal logged", 2)},
    # a block across a zone boundary (node 0 ends a page past 4 GiB, so
    # an order-1 block straddles nodes) is charged to each zone's pages
    {"name": "kho-restore-across-zones-deferred-numa",
     "run": dict(name="kho@zones", gens=2, mem="6G", smp=2,
                 kaslr=True, qemu_extra=NUMA_UNALIGNED,
                 boot_timeout=300,
                 append="kho=on test_kho_harden.zones=1")},
    # the preserve API may sleep, and says so where it is called wrongly
    {"name": "kho-preserve-might-sleep",
     "run": dict(name="kho@atomic", gens=1, mem="512M", smp=2,
                 append="kho=on test_kho_harden.atomic=1"),
     "reports": ("BUG: sleeping function called from invalid context",),
     "extra": both(log_has("sleeping function called from invalid "
                           "context", "preserve with preemption off", 1),
                   log_has("kernel/kho/core.c:", "the line names KHO", 1))},
    {"name": "kho-edit-during-kexec",
     "run": dict(name="kho@edit", gens=3, mem="512M", smp=2,
                 append="kho=on rig.editkexec=2 "
                        "kho_debug_edit_delay_us=2000")},
    # "kho_mode" and "kho_root" without a value must not crash early boot
    {"name": "kho-bare-params",
     "run": dict(name="kho@bare", gens=2, mem="512M", smp=2,
                 append="kho=on kho_mode kho_root")},
    # a kho_root= naming a handover already consumed is refused
    {"name": "kho-stale-root",
     "run": dict(name="kho@stale", gens=3, mem="1G", smp=2,
                 append="kho=on rig.loader=kexec-tools "
                        "rig.next2.rig.stale_root=1 "
                        "rig.next3.rig.expect=refused "
                        "rig.next3.rig.expect_reason=does_not_point")},
    # reserving the handover fails half-way (fault injection): refused,
    # and what was reserved is given back
    {"name": "kho-reserve-fails-memblock",
     "run": dict(name="kho@reservefail", gens=2, mem="1G", smp=2,
                 append="kho=on rig.next.kho_mode=memblock "
                        "rig.next.kho_debug_fail_reserve=30 "
                        "rig.next.rig.expect=refused "
                        "rig.next.rig.expect_reason=out_of_memblock"),
     "extra": no_leak_on_refusal},
    # scratch is CMA, only movable allocations use it: a request for most
    # of RAM is capped (one line) and the handover still works
    {"name": "kho-scratch-capped",
     "run": dict(name="kho@scratchcap", gens=2, mem="1000M", smp=2,
                 append="kho=on kho_scratch=16M,900M"),
     "extra": both(log_has("scratch capped", "scratch cap logged", 1),
                   scratch_within(500))},
    # a low area larger than RAM is capped rather than silently dropped
    {"name": "kho-scratch-low-capped",
     "run": dict(name="kho@scratchlow", gens=2, mem="1G", smp=2,
                 append="kho=on kho_scratch=3G,64M"),
     "extra": both(log_has("scratch capped", "scratch cap logged", 1),
                   scratch_within(512, low=True))},
    # RAM above 4 GiB: the global area lands high and the next kernels
    # allocate early only from scratch; the low area must still hold
    # crashkernel=256M and swiotlb's 64 MiB buffer
    {"name": "kho-scratch-low-6G",
     "run": dict(name="kho@scratch6g", gens=3, mem="6G", smp=2,
                 boot_timeout=300, append="kho=on crashkernel=256M"),
     "extra": both(every_gen_has(r"software IO TLB: mapped .*\(64MB\)",
                                 "swiotlb has its 64 MiB buffer"),
                   every_gen_has(r"crashkernel reserved: .*\(256 MB\)",
                                 "crashkernel=256M reserved"))},
    {"name": "kho-outgoing-faults",
     "run": dict(name="kho@faults", gens=2, mem="1G", smp=2,
                 append="kho=on rig.faults=1")},
    # order-0 folios only: the test's calls at orders 1 and 5..10 need new
    # tracker pages, which the failing allocator refuses
    {"name": "kho-preserve-enomem",
     "run": dict(name="kho@enomem", gens=2, mem="512M", smp=2,
                 append="kho=on test_kho.size=16M test_kho.max_order=0 "
                        "rig.enomem=1")},
    # real handovers for the fuzz target's seed corpus (make fuzz-seeds)
    {"name": "fuzz-seed-capture",
     "run": dict(name="kho@capture", gens=2, mem="512M", smp=2,
                 append="kho=on test_kho.size=16M rig.capture=1"),
     "extra": captures_accepted},
    {"name": "fuzz-seed-capture-deferred-numa",
     "run": dict(name="kho@capture-numa", gens=2, mem="6G", smp=2,
                 kaslr=True, qemu_extra=NUMA, boot_timeout=300,
                 append="kho=on test_kho.size=16M rig.capture=1 "
                        "rig.next2.kho_mode=memblock"),
     "extra": captures_accepted},
    # memory preserved but not restored goes back to the allocator
    {"name": "kho-unclaimed-release",
     "run": dict(name="chain@unclaimed", gens=3, mem="1G", smp=2,
                 append="kho=on rig.next2.test_kho.restore=0 "
                        "rig.next3.test_kho.restore=-"),
     "extra": unclaimed_released},
    {"name": "kho-stress",
     "run": dict(name="kho@stress", gens=2, mem="1G", smp=2,
                 append="kho=on rig.stress=20")},
    {"name": "kho-kexec-tools",
     "run": dict(name="kho@kexec-tools", gens=3, mem="1G", smp=2,
                 append="kho=on rig.loader=kexec-tools")},
    # A kernel without KEXEC_FILE (Debian's arm64 kernel is built so):
    # every generation is loaded by kexec-tools' kexec_load, and memfds
    # kept through /dev/liveupdate and the KHO test data survive both
    # kexecs (linux/kho-nofile.config).
    {"name": "kho-nofile-liveupdate",
     "run": dict(name="kho@nofile-lu-chain", gens=3, mem="1G", smp=2,
                 variant="nofile", boot_timeout=300,
                 append="kho=on test_kho.size=16M rig.lu=chain"),
     "extra": both(*(log_has("kexec_file_load: not in this kernel",
                             "no kexec_file_load, kexec-tools "
                             "loads the next", g) for g in (1, 2)))},
    # Zero-copy kexec: with scratch fragmented (a page held every 2 MiB)
    # in gen1, the kernel and initrd cannot be loaded in place: one line
    # says so and the reboot copies them, all of what was planned. Gen2
    # is not fragmented: 0 bytes again. Gen1 also unloads and reloads,
    # and gen2 does so with the in-place image: its pages come back.
    {"name": "kho-zerocopy-fallback",
     "run": dict(name="kho@fallback", gens=3, mem="1G", smp=2,
                 append="kho=on kho_debug_fragment_scratch=2 "
                        "rig.next.kho_debug_fragment_scratch=- rig.unload=2"),
     "extra": both(log_has("not placed in free scratch",
                           "fallback to the copy path said once", 1),
                   log_has("2 of 4 segments",
                           "gen1: kernel and initrd copied", 1),
                   lambda res: (c for c in timeline(khoctl=False)(res)
                                if not c[1].startswith("gen2: the reboot")),
                   fallback_copied)},
    # The stock path (KHO off) is measured too, through setup_data: every
    # page is copied by relocate_kernel.
    {"name": "kexec-timeline-stock",
     "run": dict(name="chain@stock", gens=3, mem="1G", smp=2,
                 append="kho=off"),
     "extra": timeline(kho="off", zero_copy=False)},
    # kexec_load() reboots are recorded through the KHO subtree (no
    # purgatory points: kexec-tools' purgatory does not stamp).
    {"name": "kexec-timeline-kexec-load",
     "run": dict(name="chain@user-tl", gens=3, mem="1G", smp=2,
                 append="kho=on rig.loader=user"),
     "extra": both(timeline(via=None, zero_copy=None),
                   log_has("kexec-timeline: gen=2 via=load kho=on",
                           "the kexec_load() reboot recorded", 2))},
    # Purgatory checks KHO images with xxh64 by default; with
    # kho_purgatory_xxh64=0 it keeps SHA-256. The chain and its data are
    # the same either way.
    {"name": "kho-purgatory-xxh64",
     "run": dict(name="kho@xxh64", gens=3, mem="1G", smp=2,
                 append="kho=on"),
     "extra": both(timeline(), every_gen_has(
         r"kexec-timeline: (gen=1 cold|.* hash=xxh64)",
         "purgatory checked with xxh64"))},
    {"name": "kho-purgatory-sha256",
     "run": dict(name="kho@sha256", gens=3, mem="1G", smp=2,
                 append="kho=on kho_purgatory_xxh64=0"),
     "extra": both(timeline(), every_gen_has(
         r"kexec-timeline: (gen=1 cold|.* hash_bytes=\d+$)",
         "purgatory checked with SHA-256"))},
    # ... and the check is real: a byte flipped in an in-place segment
    # after the load stops the reboot in purgatory (generation 2 never
    # starts).
    {"name": "kho-purgatory-xxh64-corrupt",
     "run": dict(name="kho@xxh64-corrupt", gens=2, mem="1G", smp=2,
                 boot_timeout=25, append="kho=on "
                                         "kho_debug_corrupt_segment=1"),
     "check": purgatory_stopped},
    # A damaged history is refused with one line, never trusted; the
    # timeline starts again from that kernel.
    {"name": "kexec-timeline-corrupt",
     "run": dict(name="chain@tl-corrupt", gens=3, mem="1G", smp=2,
                 append="kho=on kexec_tl_debug_corrupt=1 "
                        "rig.next.kexec_tl_debug_corrupt=-"),
     "extra": both(log_has("kexec-timeline: history refused (bad magic)",
                           "damaged history refused", 2),
                   log_has("kexec-timeline: gen=2 via=file",
                           "gen3 records its reboot again", 3))},
    # A history page the boot protocol names outside RAM is refused
    # before it is mapped (KHO off: no subtree copy to fall back on).
    {"name": "kexec-timeline-not-ram",
     "run": dict(name="chain@tl-not-ram", gens=3, mem="1G", smp=2,
                 append="kho=off kexec_tl_debug_corrupt=2 "
                        "rig.next.kexec_tl_debug_corrupt=-"),
     "extra": both(log_has("is not RAM), starting again",
                           "history page outside RAM refused", 2),
                   log_has("kexec-timeline: gen=2 via=file",
                           "gen3 records its reboot again", 3))},
    # kexec_load() with KHO off: kexec-tools puts the initrd over the
    # history page; the reboot must not stamp it (purgatory's SHA-256)
    {"name": "kexec-timeline-segment-over-history",
     "run": dict(name="chain@tl-cover", gens=2, mem="1G", smp=2,
                 append="kho=off kexec_tl_debug_high=1 rig.loader=cover"),
     "extra": log_has("covers the history page: this reboot is not recorded",
                      "the reboot over the history page is not stamped", 1)},
    # kexec_load() hands over by kho_root=: the KASLR kernel must stay
    # where kexec-tools placed it, in scratch (gen2). Generations 3 to 5
    # are loaded by kexec_file_load() with the command line reused, a
    # stale kho_root= still on it: the setup_data handover wins, and KASLR
    # must move the kernel inside scratch again.
    {"name": "kho-kexec-tools-kaslr",
     "run": dict(name="kho@kexec-tools-kaslr", gens=5, mem="1G", smp=2,
                 kaslr=True, boot_timeout=300,
                 append="kho=on rig.loader=kexec-tools"),
     "extra": kaslr_moved(3)},
    {"name": "kho-accounting-bitmap-vs-memblock",
     "run": dict(name="kho@accounting", gens=3, mem="1G", smp=2,
                 append="kho=on test_kho.churn=0 rig.next3.kho_mode=memblock"),
     "extra": same_accounting},
] + list(upgrade.scenarios()) + [
    {"name": "rig-panic",
     "run": dict(name="chain@panic", gens=3, append="rig.panic=2"),
     "check": expect_panic},
    {"name": "rig-hang",
     "run": dict(name="chain@hang", gens=3, append="rig.hang=2",
                 boot_timeout=25),
     "check": expect_hang},
]

# ---- the Debian host: systemd as PID 1, our packages, systemctl kexec ----

DEBIAN_ROOTFS = os.path.join(os.environ.get("B", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")),
    "debian", "rootfs.img")


def debian_prepare(tap):
    """make deb (khoctl and kernel packages, lintian), then the Debian
    rootfs with them installed (scripts/debian-rootfs.sh): True when
    the scenario can boot."""
    import subprocess
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    p = subprocess.run([os.path.join(top, "scripts/deb.sh")],
                       capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    built = [l for l in lines if l.startswith("deb: ") and ".deb" in l and
             "lintian" not in l]
    tap.result(len(built) == 2,
               "deb: make deb builds the khoctl and kernel packages (%s)" %
               ", ".join(os.path.basename(l.split()[-1]) for l in built),
               lines[-30:])
    lint = [l for l in lines if l.startswith("deb: lintian ")]
    tap.result(p.returncode == 0 and len(lint) == 2,
               "deb: lintian finds no error in the packages (%s)" %
               "; ".join(l[len("deb: lintian "):] for l in lint), lines[-30:])
    if p.returncode:
        return False
    p = subprocess.run([os.path.join(top, "scripts/debian-rootfs.sh")],
                       capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    tap.result(p.returncode == 0,
               "deb: the Debian rootfs with the packages installed by dpkg "
               "(%s)" % (lines[-1] if lines else "?"), lines[-30:])
    return p.returncode == 0


def debian_json(res):
    """The JSON the Debian host printed (RIG: JSON genN NAME rc=RC ...),
    parsed here with Python's json module and checked."""
    import json
    seen = {}
    for line in res.log:
        i = line.find("RIG: JSON gen")
        if i < 0:
            continue
        f = line[i + len("RIG: JSON "):].split(" ", 3)
        if len(f) < 4:
            continue
        try:
            seen[(f[0], f[1])] = (f[2], json.loads(f[3]))
        except ValueError as e:
            yield (False, "%s: khoctl %s --json is JSON" % (f[0], f[1]),
                   [str(e), f[3][:1000]])
    want = {("gen1", "check"), ("gen1", "sessions"), ("gen1", "status"),
            ("gen2", "timeline"), ("gen2", "sessions"), ("gen2", "check")}
    yield (want <= set(seen), "the host's khoctl --json outputs captured "
           "and parsed", ["missing: %s" % sorted(want - set(seen))])

    def get(g, n):
        return seen.get((g, n), ("rc=?", {}))

    rc, ck = get("gen1", "check")
    ids = [(p["id"], p["severity"]) for p in ck.get("problems", [])]
    yield (rc == "rc=3" and ck.get("ok") is False and
           ("holder-unprotected", "error") in ids and
           ck.get("outgoing_sessions") == 3,
           "gen1 check --json under systemd: exit 3, holder-unprotected, "
           "3 outgoing sessions (%s %s)" % (rc, ids), [str(ck)[:1500]])
    rc, se = get("gen1", "sessions")
    names = sorted(x["name"] for x in se.get("outgoing", []))
    yield (names == ["rig", "victim", "victim2"],
           "gen1 sessions --json: rig, victim, victim2 outgoing (%s)" % names,
           [str(se)[:1500]])
    rc, st = get("gen1", "status")
    yield (st.get("kho") is True and
           st.get("incoming", {}).get("state") == "none",
           "gen1 status --json: KHO on, cold boot", [str(st)[:1500]])
    rc, se = get("gen2", "sessions")
    inc = [x["name"] for x in se.get("incoming", [])]
    yield (not {"victim", "victim2"} & set(inc) and
           se.get("incoming_records") == "accepted",
           "gen2 sessions --json: records accepted, no session victim "
           "(%s)" % inc, [str(se)[:1500]])
    rc, ck = get("gen2", "check")
    yield (rc == "rc=0" and ck.get("ok") is True,
           "gen2 check --json: exit 0 after take (%s)" % rc,
           [str(ck)[:1500]])


DEBIAN = [
    # a Debian 12 host with systemd 252 as PID 1 and our packages: two
    # sessions, one held by khoctl-keep@rig ('@' holder, survives
    # systemd-shutdown), one by a plain service (killed at shutdown);
    # systemctl kexec; khoctl-take@rig brings every byte back
    {"name": "debian-systemd-kexec",
     "prepare": debian_prepare,
     "run": dict(name="debian@systemd-kexec", gens=2, mem="1G", smp=2,
                 boot_timeout=300, rootfs=DEBIAN_ROOTFS,
                 append="root=/dev/vda rw kho=on"),
     "extra": debian_json},
]


# Scenarios of the list above that hold nothing x86-specific, run on
# arm64 as well (named "arm64-" + name, after the x86 ones). Not
# kho-preserve-refusals: QEMU's arm64 virt machine has no hole in RAM.
ARM64_ALSO = ("kho-off-in-gen2", "kho-bad-root", "kho-release-race", "kho-preserve-might-sleep",
              "kho-edit-during-kexec", "kho-bare-params", "kho-stale-root",
              "kho-reserve-fails-memblock", "kho-scratch-capped",
              "kho-outgoing-faults", "kho-preserve-enomem", "kho-stress",
              "kho-accounting-bitmap-vs-memblock", "corrupt-blob-size",
              "kexec-timeline-corrupt")


def arm64_also():
    for sc in SCENARIOS:
        if sc["name"] in ARM64_ALSO and "variant" not in sc["run"] and \
                not sc["run"].get("kaslr"):
            run = dict(sc["run"], variant="arm64",
                       name=sc["run"]["name"].replace("@", "@arm64-", 1))
            yield dict(sc, name="arm64-" + sc["name"], run=run)


SCENARIOS += list(arm64_also())

# The sanitizer kernel (linux/kho-kasan.config: KASAN, UBSAN bounds,
# lockdep, DEBUG_VM) runs these in make test, named "kasan-" + name;
# make test-debug (tests/run.py --debug) runs every scenario of the
# plain x86 kernel on it. KASAN in TCG is slow: twice the time limits.
KASAN_ALSO = ("kho-chain", "liveupdate-contract", "liveupdate-chain",
              "liveupdate-memfd", "liveupdate-lazy", "liveupdate-race-reboot",
              "liveupdate-damage-entry", "liveupdate-swap",
              "liveupdate-fill-nomem",
              "liveupdate-khoctl", "liveupdate-hugetlb")


def on_kasan(sc):
    """@sc on the sanitizer kernel, or None if it needs another kernel."""
    r = sc["run"]
    if r.get("variant") or r.get("kernel") or r.get("initrd") or \
            r.get("rootfs") or r.get("kaslr"):
        return None
    bt = r.get("boot_timeout", 120) * 2
    run = dict(r, variant="kasan", boot_timeout=bt,
               chain_timeout=(r["chain_timeout"] * 2
                              if r.get("chain_timeout") else None),
               name=r["name"].replace("@", "@kasan-", 1)
               if "@" in r["name"] else r["name"] + "@kasan")
    return dict(sc, name="kasan-" + sc["name"], run=run)


def debug_scenarios():
    """make test-debug: every plain x86 scenario on the KASAN kernel."""
    for sc in SCENARIOS:
        k = on_kasan(sc) if not sc["name"].startswith("kasan-") else None
        if k:
            yield k


SCENARIOS += [on_kasan(sc) for sc in SCENARIOS if sc["name"] in KASAN_ALSO]
SCENARIOS += DEBIAN
