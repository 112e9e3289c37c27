#!/usr/bin/env bash
# The bundled examples, end to end, as a program manager would run them. Every command is shown before it
# runs. `--now` pins the instant so the story plays the same on any day; drop it to use the clock.
set -euo pipefail
cd "$(dirname "$0")/.."
R=.venv/bin/readout
export READOUT_DATABASE_URL="sqlite:///$PWD/.demo/readout.db"   # a throwaway embedded store
rm -rf .demo && mkdir -p .demo
export COLUMNS="${COLUMNS:-110}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[1;36m# %s\033[0m\n' "$*"; }

say "1. Globex Financial (Mexico City): plan the readout for the SSO outage. Nothing is stored yet."
step $R plan examples/globex-sso-outage/case.yaml

say "2. The same escalation through the workflow: users, open (plans at once), hold the best slots."
step $R users import examples/users.yaml --as alex   # the first import names the administrator
T0=2026-11-12T09:00:00-06:00
step $R open examples/globex-sso-outage/case.yaml --as priya --now $T0 | tail -n 1
step $R hold ESC-48213 --as dana --now $T0

say "3. Dana reviews the best slot: the invite packet (purpose, roles, times in every zone; no incident details)."
step $R review ESC-48213 --slot 2026-11-17T18:00:00Z --as dana --now 2026-11-12T10:00:00-06:00

say "4. Priya confirms. Readout re-reads every calendar first; the other holds are released."
step $R confirm ESC-48213 --packet b21038f3581f --as priya --now 2026-11-12T10:05:00-06:00

say "5. Initech Bank (Frankfurt) is in a change freeze: nothing complies, so Readout escalates at once."
T1=2026-11-23T12:00:00+01:00
step $R open examples/cab-freeze-no-slot/case.yaml --as priya --now $T1 | tail -n 3

say "6. Dana may not waive coverage; Omar, the duty manager, approves the 12:00 Berlin near miss."
step $R approve ESC-51007 --slot 2026-11-24T11:00:00Z --as dana --reason "customer asked" --now $T1 || true
step $R approve ESC-51007 --slot 2026-11-24T11:00:00Z --as omar --now $T1 \
  --reason "05:00 Chicago start approved; duty engineer joins early"
step $R hold ESC-51007 --as dana --now $T1
step $R review ESC-51007 --slot 2026-11-24T11:00:00Z --as dana --now $T1
step $R confirm ESC-51007 --packet d05083294205 --as dana --now $T1

say "7. The audit trail: every plan, hold, waiver and confirmation, hash-chained."
step $R audit show ESC-51007
step $R audit verify
step $R list
