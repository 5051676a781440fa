#!/bin/sh
# A browser command for `npm run bench`: notes when pve-login started it (ns since the epoch), then runs the
# sandbox's robot browser (BENCH_ROBOT, a shell-quoted command) with the URL pve-login passed.
date +%s%N >> "$BENCH_TIMING_FILE"
eval "exec $BENCH_ROBOT \"\$1\""
