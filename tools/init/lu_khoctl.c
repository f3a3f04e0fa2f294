// SPDX-License-Identifier: GPL-2.0
/*
 * lu_khoctl.c - khoctl's JSON outputs on a real kernel, for the
 * liveupdate-khoctl scenario (rig.lu=khoctl): "khoctl CMD --json" run
 * in the VM, its output between RIG: JS_CMD-BEGIN genN and
 * RIG: JS_CMD-END STATUS lines, parsed and checked by the host
 * (tests/vm/scenarios.py, khoctl_json()) with Python's json module.
 * check's exit status is part of what is checked: 0 or 3 as the
 * scenario's step expects.
 */
#include <stdio.h>

#include "rig.h"

/**
 * rig_khoctl_json() - run "khoctl @cmd --json" and log its output
 * @cmd: status, sessions, timeline or check
 *
 * Return: khoctl's exit status.
 */
int rig_khoctl_json(const char *cmd)
{
	char tag[32], c[16];
	char *argv[] = { "/bin/khoctl", c, "--json", NULL };

	snprintf(c, sizeof(c), "%s", cmd);
	snprintf(tag, sizeof(tag), "JS_%s", cmd);
	return rig_run_block(argv, tag);
}
