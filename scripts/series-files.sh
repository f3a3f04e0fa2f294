#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the series is made of, one name a line, in the order it applies:
#   scripts/series-files.sh            new files, at their tree paths
#   scripts/series-files.sh --patches  hook patches (linux/patches/*.patch)
# tree.sh, check.sh, series.sh and newest-base.sh all take the series
# from here, so they cannot disagree on what belongs to it.
set -euo pipefail
cd "$(dirname "$0")/../linux"
if [ "${1:-}" = --patches ]; then
	ls patches 2>/dev/null | grep '\.patch$' | sort || true
else
	find . -type f ! -path './patches/*' ! -name SOURCE_VERSION \
		! -name '*.config' ! -name README.md | sed 's|^\./||' | sort
fi
