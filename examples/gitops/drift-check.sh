#!/usr/bin/env bash
# Scheduled drift check for a CI system (cron job, scheduled pipeline).
#
#   examples/gitops/drift-check.sh [TERRAFORM_DIR]
#
# Runs `terraform plan -detailed-exitcode` in TERRAFORM_DIR (default: the
# current directory) with the provider configured from the environment
# (PBX_ENDPOINT, PBX_USERNAME, ...), and exits like it:
#   0  no drift: the PBX and the directory match the configuration
#   2  drift: a short report names the users, the fields and the directory
#      entries that changed (also written to $DRIFT_REPORT if set)
#   1  the check itself failed (plan output is shown)
# Secrets are never printed: sensitive values appear as "(sensitive value)".
# The report is made by internal/cmd/driftreport: set DRIFTREPORT to a built
# binary of it, or leave it unset to `go run` it from this repository.
set -uo pipefail

dir=${1:-.}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

terraform -chdir="$dir" plan -detailed-exitcode -input=false -lock=false -no-color -out="$work/plan.tfplan" >"$work/plan.log" 2>&1
code=$?
case $code in
0)
  echo "No drift: the devices match the configuration."
  exit 0
  ;;
2)
  if ! terraform -chdir="$dir" show -json "$work/plan.tfplan" >"$work/plan.json" 2>"$work/show.log"; then
    cat "$work/show.log" >&2
    exit 1
  fi
  if [ -n "${DRIFTREPORT:-}" ]; then
    report=$("$DRIFTREPORT" <"$work/plan.json") || exit 1
  else
    report=$(cd "$repo" && go run ./internal/cmd/driftreport <"$work/plan.json") || exit 1
  fi
  printf '%s\n' "$report"
  if [ -n "${DRIFT_REPORT:-}" ]; then
    printf '%s\n' "$report" >"$DRIFT_REPORT"
  fi
  exit 2
  ;;
*)
  echo "drift check failed: terraform plan exited $code" >&2
  cat "$work/plan.log" >&2
  exit 1
  ;;
esac
