#!/usr/bin/env bash
# The crash-safety test at length (tests/crash_test.cpp): POINTS SIGKILLs (default 1,000) of
# closebook and closebookd while they ingest, price, match and write through the API, each
# followed by a full replay of the ledger. CI runs 200.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" --target closebook_tests closebook closebookd >/dev/null
CLOSEBOOK_CRASH_POINTS=${POINTS:-1000} "$root/build/tests/closebook_tests" --gtest_filter='CrashTest.*'
