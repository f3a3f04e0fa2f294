# SPDX-License-Identifier: GPL-2.0
# Sourced by the build scripts: run a long step with a progress line.
#   progress LABEL LOG CMD...
# runs CMD with its output appended to LOG and, every 30 s while it runs,
# prints "LABEL: N objects built, T s" (N counts kbuild's CC/AS/LD lines
# so far; "still running" for a step that prints none), so a cold build
# never sits silent. Then it prints the warnings and errors CMD wrote,
# the log's tail when CMD fails, and returns CMD's status.
progress() {
	local label=$1 log=$2 pid s=0 rc=0 n
	shift 2
	"$@" >> "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		s=$((s + 1))
		[ $((s % 30)) -ne 0 ] && continue
		n=$(grep -c -E '^  (CC|AS|LD|AR|HOSTCC|GEN|OBJCOPY)' "$log" || true)
		if [ "$n" -gt 0 ]; then
			echo "$label: $n objects built, $s s"
		else
			echo "$label: still running, $s s"
		fi
	done
	wait "$pid" || rc=$?
	grep -E 'warning:|error:' "$log" >&2 || true
	[ $rc -eq 0 ] || { tail -20 "$log" >&2; echo "$label: failed (exit $rc), log $log" >&2; }
	return $rc
}
