# SPDX-License-Identifier: GPL-2.0
#
# cli-tap.sh - what the command-line tests (khoctl/test_khoctl_cli,
# khovm/test_khovm_cli) share, sourced by them: kselftest TAP, one line
# per test function, and the checks of one run of the tool.
#
# The sourcing script sets K (the tool), TOOL (its name, the prefix of
# its error lines) and T (a scratch directory), defines tests() calling
# its own t() for each test, which calls tap_one after its skip rules,
# and ends with tap_main. A check that fails calls fail, which returns 1:
# chain every check with "|| return 1" but the last.

n=0
fails=0
mode=count

# tap_one FUNCTION DESCRIPTION: run it, one TAP line, the reason and the
# last run's output when it fails
tap_one() {
	why=
	if "$1"; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		[ -n "$why" ] && echo "# $why"
		sed 's/^/# out: /' "$T/out" 2>/dev/null | head -20
		sed 's/^/# err: /' "$T/err" 2>/dev/null | head -20
		fails=$((fails + 1))
	fi
}

fail() {
	why="$*"
	return 1
}

# run ARGS...: the tool, stdout in $T/out, stderr in $T/err, status in
# $rc (99 on a sanitizer report)
run() {
	"$K" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if grep -q "Sanitizer\|runtime error" "$T/err"; then
		rc=99
	fi
	return 0
}

# expect RC: the last run's status
expect() {
	[ "$rc" = "$1" ] || fail "exit status $rc, expected $1"
}

# one_error TEXT: exit 1 and exactly one "$TOOL: ...TEXT..." line on stderr
one_error() {
	expect 1 || return 1
	[ "$(wc -l <"$T/err")" = 1 ] || fail "stderr is not one line" || return 1
	[ "$(cut -c1-$((${#TOOL} + 2)) "$T/err")" = "$TOOL: " ] ||
		fail "no '$TOOL: ' prefix" || return 1
	grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1'"
}

has() {
	grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1'"
}

# tap_main: count the tests, then run them; the exit status says if all
# passed
tap_main() {
	echo "TAP version 13"
	mode=count
	n=0
	tests
	echo "1..$n"
	mode=run
	n=0
	tests
	echo "# Totals: pass:$((n - fails)) fail:$fails"
	[ "$fails" = 0 ]
}
