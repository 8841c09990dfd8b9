#!/usr/bin/env bash
# The bundled example: records a conversation through `rollout proto` into a temporary home,
# then shows, validates, lists and exports it, and reads a Codex CLI 2025 rollout as well.
set -euo pipefail
cd "$(dirname "$0")/.."
ROLLOUT="${ROLLOUT:-dist/rollout}"
if [ ! -x "$ROLLOUT" ]; then
  echo "examples/run.sh: $ROLLOUT is missing; run \"npm run build\" first" >&2
  exit 1
fi
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step "rollout proto --home \$HOME_DIR < examples/conversation.ops.jsonl"
"$ROLLOUT" proto --home "$home" < examples/conversation.ops.jsonl

step "rollout show --last"
"$ROLLOUT" show --last --home "$home"

step "rollout validate \$HOME_DIR/sessions"
"$ROLLOUT" validate "$home/sessions"

step "rollout list"
"$ROLLOUT" list --home "$home"

step "rollout export --last --to md -o session.md && head -n 12 session.md"
"$ROLLOUT" export --last --to md -o "$home/session.md" --home "$home"
head -n 12 "$home/session.md"

step "rollout show examples/codex-2025.jsonl    (a Codex CLI rollout from 2025)"
"$ROLLOUT" show examples/codex-2025.jsonl
