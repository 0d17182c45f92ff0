#!/usr/bin/env bash
# Benchmarks onair on this machine and prints the figures:
#   P1  channel start time, POST /api/channels → RUNNING, p50/p99 over 20 starts
#   P8  scheduled start error, p50/p99 over 20 scheduled starts
#   P4  delay from a frame sent by the publisher to its segment being listed
#       in the live playlist, for onair and for bare ffmpeg side by side
#       (bench/onairbench; LL-HLS parts once onair has them)
#   P6  clipping 10 minutes out of a 1-hour archive (bench/clipbench)
#   P7  the list queries at 10,000 workflows, on SQLite and on a throwaway
#       PostgreSQL, at concurrency 16, with each query's plan (bench/listbench)
#   Health  the health history: a 24 h run written and read back for the graphs
#       on SQLite and PostgreSQL, the graphs drawn, the monitor per pipeline
#       (bench/healthbench)
#   P5  stop → DONE for a 1 h 720p archive published without -re, on local disk
#       and in an S3 bucket (versitygw), with the ratio (bench/archivebench)
#   P3  passthrough CPU-seconds and peak RSS per stream, onair against
#       nginx-rtmp, 1 and 20 streams (bench/mediabench, as the next three)
#   P2  an ABR run's CPU against bare ffmpeg encoding the same ladder
#   P5  stop → DONE for a run with a 10, 30 and 60 minute archive
#   Scale  how many 4 Mbps passthrough streams stay on time, onair against nginx-rtmp
# Needs what `make test` needs (Go, ffmpeg, PostgreSQL's initdb and pg_ctl), and
# nginx with Debian's libnginx-mod-rtmp, which it installs when missing.
# Usage: bench/run.sh [-starts N] [-seconds S]   (onairbench's flags)
#   MEDIABENCH_ARGS="-only p3,p2 -profile DIR" bench/run.sh   (mediabench's, see its -help)
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx-rtmp, the peer of P3 and Scale; mediabench starts its own on free ports.
scripts/deps.sh nginx-rtmp

make -s build
go run ./bench/onairbench -onair ./bin/onair "$@"
echo
go run ./bench/clipbench
echo
go run ./bench/listbench
echo
go run ./bench/healthbench
echo
go run ./bench/archivebench -onair ./bin/onair
echo
# shellcheck disable=SC2086 # MEDIABENCH_ARGS is a list of flags
go run ./bench/mediabench -onair ./bin/onair ${MEDIABENCH_ARGS:-}
