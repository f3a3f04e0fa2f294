#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the series is made of, one name a line, in the order it applies:
#   scripts/series-files.sh            new files, at their tree paths
#   scripts/series-files.sh --patches  hook patches (linux/patches/*.patch)
#   scripts/series-files.sh --touched  upstream files the hook patches edit
# tree.sh, check.sh, series.sh, newest-base.sh and debcfg.sh all take the series
# from here, so they cannot disagree on what belongs to it.
set -euo pipefail
cd "$(dirname "$0")/../linux"
if [ "${1:-}" = --patches ]; then
	ls patches 2>/dev/null | grep '\.patch$' | sort || true
elif [ "${1:-}" = --touched ]; then
	sed -n 's|^--- a/\([^[:space:]]*\).*|\1|p' patches/*.patch | sort -u
else
	find . -type f ! -path './patches/*' ! -name SOURCE_VERSION \
		! -name '*.config' ! -name README.md | sed 's|^\./||' | sort
fi
