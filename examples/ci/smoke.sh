#!/usr/bin/env bash
# rollout's CI smoke test, as the GitHub Actions workflow and the GitLab CI job beside it run
# it: checks that the runner's file system keeps rollout's guarantees, records a scripted
# conversation through `rollout proto`, and validates the sessions folder with annotations
# (or the text report) and a JUnit file for the CI system to show.
#
#   ROLLOUT=path/to/rollout                the binary (default: rollout on PATH)
#   ROLLOUT_HOME=dir                       where the sessions go (default: ./.rollout-ci)
#   ROLLOUT_REPORTS=dir                    events and JUnit XML (default: ./rollout-reports)
#   ROLLOUT_ANNOTATIONS=github|text        how validate reports problems (default: text)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rollout="${ROLLOUT:-rollout}"
home="${ROLLOUT_HOME:-$PWD/.rollout-ci}"
reports="${ROLLOUT_REPORTS:-$PWD/rollout-reports}"
mkdir -p "$reports"

echo "== rollout selftest (the runner's file system)"
"$rollout" selftest --home "$home"

echo "== a scripted conversation through rollout proto"
"$rollout" proto --home "$home" < "$here/../conversation.ops.jsonl" > "$reports/events.jsonl"
if grep -q '"type":"error"' "$reports/events.jsonl"; then
  echo "rollout proto answered an op with an error:" >&2
  grep '"type":"error"' "$reports/events.jsonl" >&2
  exit 1
fi
echo "$(wc -l < "$reports/events.jsonl") events, every op acknowledged"

echo "== rollout validate the sessions"
"$rollout" validate "$home/sessions" --format "${ROLLOUT_ANNOTATIONS:-text}"
"$rollout" validate "$home/sessions" --format junit -o "$reports/rollout-junit.xml" > /dev/null
echo "JUnit report: $reports/rollout-junit.xml"
