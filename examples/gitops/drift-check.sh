#!/usr/bin/env bash
# Scheduled drift check for the pbx provider, for any CI system (cron job,
# scheduled pipeline). Copy this file alone into the repository that holds
# your Terraform configuration; it needs only bash, terraform and jq.
#
#   drift-check.sh [TERRAFORM_DIR]
#
# Runs `terraform plan -detailed-exitcode` in TERRAFORM_DIR (default: the
# current directory, already initialised with `terraform init`) with the
# provider configured from the environment (PBX_ENDPOINT, PBX_USERNAME, ...),
# and exits:
#   0  no drift and nothing unmanaged: the PBX and the directory match the
#      configuration
#   2  drift: a short report names the users, the fields and the directory
#      entries that changed (and any unmanaged objects, see 3)
#   3  no drift, but unmanaged objects: extensions or directory entries inside
#      what the configuration claims that no resource manages; the report gives
#      each one's number or uuid, its name and the command that imports it
#   1  the check itself failed (the plan output is shown)
# What the configuration claims: the extensions every `pbx_users` data source
# lists (e.g. a number range) and the entries every `pbx_directory_entries`
# data source with `owner` lists. Managed means: a pbx_user or
# pbx_directory_entry of the state or the plan, at any address (for_each,
# count, modules).
# DRIFT_REPORT: if set, the report (exit 0 or 2) is also written to this file.
# Secrets are never printed: sensitive values appear as "(sensitive value)".
set -uo pipefail

for tool in terraform jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "drift check failed: $tool is not on PATH (the check needs terraform and jq)" >&2
    exit 1
  fi
done

dir=${1:-.}
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

# report turns `terraform show -json PLAN` into the short report: managed
# resources with a change, their fields (sensitive ones as "(sensitive
# value)"), the linked directory entries that moved, and the fields edited
# outside Terraform.
read -r -d '' report <<'JQ'
# marked($m; $k): the sensitivity or unknown marks $m flag attribute $k, wholly or in part.
def marked($m; $k): ($m | type) == "object" and ([$m[$k] | .. | select(. == true)] | length > 0);
def dirfield: . == "directory_timestamp" or . == "directory_series";
# changed: the top-level attributes whose values differ in a change object.
def changed: . as $c | ($c.before // {}) as $b | ($c.after // {}) as $a
  | [$b + $a | keys[] | select($b[.] != $a[.] or marked($c.after_unknown; .))];
def after($c; $f): if marked($c.after_unknown; $f) then "(known after apply)" else $c.after[$f] | tojson end;
def field($c): . as $f
  | if marked($c.before_sensitive; $f) or marked($c.after_sensitive; $f) then "\($f): (sensitive value)"
    else "\($f): \($c.before[$f] | tojson) -> \(after($c; $f))" end;
def symbol: {"create": "+", "delete": "-", "update": "~"}[.actions | join("+")] // "±";
# moved: whether a change object moves the linked directory entry (timestamp or series).
def moved: (.after.directory_uuid | type) == "string" and .after.directory_uuid != "" and .before != null
  and (.before.directory_timestamp != .after.directory_timestamp or .before.directory_series != .after.directory_series);
def movement: . as $c
  | if $c.before.directory_series != $c.after.directory_series
    then "directory reset: series \($c.before.directory_series | tojson) -> \(after($c; "directory_series"))"
    else "timestamp \($c.before.directory_timestamp | tojson) -> \(after($c; "directory_timestamp"))" end;

# Changes found by the refresh, by address (users deleted on the device are reported as such).
(reduce (.resource_drift // [])[] as $d ({};
  if $d.change.before != null and $d.change.after != null then .[$d.address] = $d.change else . end)) as $drift
| [(.resource_changes // [])[]
   | select(.mode == "managed" and (.change.actions | length > 0)
            and .change.actions != ["no-op"] and .change.actions != ["read"])
   | .change as $c | $drift[.address] as $d
   # The entry moved in the plan, or in the refresh that recorded its new timestamp.
   | (if $c | moved then $c elif $d != null and ($d | moved) then $d else null end) as $m
   | ($m.after.directory_uuid // null) as $uuid
   | (if $d != null then [$d | changed[] | select(dirfield | not)] else [] end) as $edited
   | {uuid: $uuid, address: .address,
      text: ("  \($c | symbol) \(.address) (\($c.actions | join("+")))\n      "
             + ([if $c.before == null then "missing on the device, will be created"
                 elif $c.after == null then "will be deleted"
                 else $c | changed[] | select(dirfield | not) | field($c) end,
                 if $m != null then "directory entry \($uuid) changed (\($m | movement))" else empty end,
                 if $edited != [] then "edited outside Terraform: \($edited | join(", "))" else empty end]
                | join("\n      "))
             + "\n")}] as $lines
| if $lines == [] then
    "No drift in the devices, but the plan has other changes (outputs); run terraform plan to see them.\n"
  else
    "Drift detected: \($lines | length) resource(s) differ from the configuration.\n\n"
    + ($lines | map(.text) | join(""))
    + ([$lines[] | select(.uuid != null)] | group_by(.uuid)
       | if . == [] then ""
         else "\nDirectory entries that changed:\n"
              + (map("  \(.[0].uuid) (linked from \(map(.address) | join(", ")))\n") | join(""))
         end)
    + "\nRun `terraform apply` to bring the devices back to the configuration, or change the configuration to accept the edits.\n"
  end
JQ

# unmanaged turns `terraform show -json PLAN` into the report's section on
# unmanaged objects (empty when there are none).
read -r -d '' unmanaged <<'JQ'
# modules: a values module and all its descendants.
def modules: recurse(.child_modules[]?);
def resources: modules | .resources[]?;
def count($n; $one; $many): "\($n) \(if $n == 1 then $one else $many end)";
# Every object of the state (before) and the plan (after), at any address.
([(.prior_state.values.root_module // {}), (.planned_values.root_module // {})] | map(resources)) as $all
| ([$all[] | select(.mode == "managed" and .type == "pbx_user") | .values.number | select(type == "string")] | unique) as $numbers
| ([$all[] | select(.mode == "managed" and .type == "pbx_directory_entry") | .values.uuid | select(type == "string") | ascii_upcase] | unique) as $uuids
| [(.prior_state.values.root_module // {}) | resources | select(.mode == "data")] as $data
| ([$data[] | select(.type == "pbx_users") | .address as $claim | (.values.users // {}) | to_entries[]
    | select(.key as $n | any($numbers[]; . == $n) | not)
    | {key: .key, name: .value.name, claim: $claim}] | unique_by(.key)) as $users
| ([$data[] | select(.type == "pbx_directory_entries" and (.values.owner | type) == "string") | .address as $claim
    | (.values.entries // {}) | to_entries[]
    | select(.key | ascii_upcase as $u | any($uuids[]; . == $u) | not)
    | {key: .key, name: .value.name, claim: $claim}] | unique_by(.key | ascii_upcase)) as $entries
| if $users == [] and $entries == [] then ""
  else
    "Unmanaged objects: \(count($users | length; "extension"; "extensions")) and \(count($entries | length; "directory entry"; "directory entries"))"
    + " inside what the configuration claims, managed by no resource.\n\n"
    + ($users | sort_by(.key | tonumber? // .key) | map("  ? extension \(.key) \(.name | tojson) (claimed by \(.claim))\n"
        + "      terraform import 'pbx_user.ext_\(.key)' number:\(.key)\n") | join(""))
    + ($entries | map("  ? directory entry \(.key) \(.name | tojson) (claimed by \(.claim))\n"
        + "      terraform import 'pbx_directory_entry.entry_\(.key | ascii_downcase | gsub("-"; "_"))' \(.key)\n") | join(""))
    + "\nTo adopt one, add its resource block (the address shown, or your own) to the configuration and run the import command; "
    + "to drop one, delete it on the device. Or narrow the claim.\n"
  end
JQ

# finish prints the report, writes it to $DRIFT_REPORT if set, and exits.
finish() {
  printf '%s\n' "$2"
  if [ -n "${DRIFT_REPORT:-}" ] && ! printf '%s\n' "$2" >"$DRIFT_REPORT"; then
    echo "drift check failed: cannot write the report to $DRIFT_REPORT" >&2
    exit 1
  fi
  exit "$1"
}

terraform -chdir="$dir" plan -detailed-exitcode -input=false -lock=false -no-color -out="$work/plan.tfplan" >"$work/plan.log" 2>&1
code=$?
case $code in
0 | 2) ;;
*)
  echo "drift check failed: terraform plan exited $code" >&2
  cat "$work/plan.log" >&2
  exit 1
  ;;
esac
if ! terraform -chdir="$dir" show -json "$work/plan.tfplan" >"$work/plan.json" 2>"$work/show.log"; then
  echo "drift check failed: terraform show -json could not read the plan" >&2
  cat "$work/show.log" >&2
  exit 1
fi
text="No drift: the devices match the configuration."
if [ "$code" = 2 ] && ! text=$(jq -j "$report" "$work/plan.json" 2>"$work/jq.log"); then
  echo "drift check failed: jq could not read the JSON plan" >&2
  cat "$work/jq.log" >&2
  exit 1
fi
if ! extra=$(jq -j "$unmanaged" "$work/plan.json" 2>"$work/jq.log"); then
  echo "drift check failed: jq could not read the JSON plan" >&2
  cat "$work/jq.log" >&2
  exit 1
fi
if [ -n "$extra" ]; then
  text=$(printf '%s\n\n%s' "$text" "$extra")
  if [ "$code" = 0 ]; then
    code=3
  fi
fi
finish "$code" "$text"
