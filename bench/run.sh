#!/usr/bin/env bash
# Benchmarks onair on this machine and prints the figures:
#   P1  channel start time, POST /api/channels → RUNNING, p50/p99 over 20 starts
#   P8  scheduled start error, p50/p99 over 20 scheduled starts
#   P6  clipping 10 minutes out of a 1-hour archive (bench/clipbench)
#   P7  the list queries at 10,000 workflows, on SQLite and on a throwaway
#       PostgreSQL, at concurrency 16, with each query's plan (bench/listbench)
#   P4  delay from a frame sent by the publisher to its segment being listed
#       in the live playlist, for onair and for bare ffmpeg side by side.
# Needs what `make test` needs (Go, ffmpeg, PostgreSQL's initdb and pg_ctl). Usage: bench/run.sh [-starts N] [-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build
go run ./bench/onairbench -onair ./bin/onair "$@"
echo
go run ./bench/clipbench
echo
go run ./bench/listbench
