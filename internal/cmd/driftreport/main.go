// Command driftreport turns a Terraform JSON plan (`terraform show -json
// PLANFILE`) of the pbx provider into a short human report for a scheduled
// drift check: which users change and how, which fields, and which directory
// entries moved. Sensitive values are never printed.
//
// Usage: terraform show -json plan.tfplan | go run ./internal/cmd/driftreport
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
)

// plan is the part of Terraform's JSON plan format the report reads.
type plan struct {
	ResourceDrift   []resourceChange `json:"resource_drift"`
	ResourceChanges []resourceChange `json:"resource_changes"`
}

type resourceChange struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Change  struct {
		Actions         []string       `json:"actions"`
		Before          map[string]any `json:"before"`
		After           map[string]any `json:"after"`
		BeforeSensitive any            `json:"before_sensitive"`
		AfterSensitive  any            `json:"after_sensitive"`
		AfterUnknown    any            `json:"after_unknown"`
	} `json:"change"`
}

// directoryFields are recorded values, reported as directory movement rather
// than as PBX fields.
var directoryFields = map[string]bool{"directory_timestamp": true, "directory_series": true}

func main() {
	report, err := build(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "driftreport:", err)
		os.Exit(1)
	}
	fmt.Print(report)
}

// build reads a JSON plan and returns the report.
func build(r io.Reader) (string, error) {
	var p plan
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		return "", fmt.Errorf("reading the JSON plan: %w", err)
	}
	drifted := map[string][]string{} // address -> fields changed outside Terraform
	for _, d := range p.ResourceDrift {
		drifted[d.Address] = changedFields(d)
	}

	var b strings.Builder
	var lines []string
	entries := map[string][]string{} // directory uuid -> addresses
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" || isNoop(rc.Change.Actions) {
			continue
		}
		action := strings.Join(rc.Change.Actions, "+")
		var parts []string
		switch {
		case rc.Change.Before == nil:
			parts = append(parts, "missing on the device, will be created")
		case rc.Change.After == nil:
			parts = append(parts, "will be deleted")
		default:
			for _, f := range changedFields(rc) {
				if directoryFields[f] {
					continue
				}
				parts = append(parts, describeField(rc, f))
			}
		}
		if uuid, moved := directoryMoved(rc); moved {
			entries[uuid] = append(entries[uuid], rc.Address)
			parts = append(parts, fmt.Sprintf("directory entry %s changed (%s)", uuid, directoryMovement(rc)))
		}
		if fs := drifted[rc.Address]; len(fs) > 0 {
			parts = append(parts, "edited outside Terraform: "+strings.Join(fs, ", "))
		}
		lines = append(lines, fmt.Sprintf("  %s %s (%s)\n      %s\n", symbol(rc.Change.Actions), rc.Address, action, strings.Join(parts, "\n      ")))
	}
	if len(lines) == 0 {
		return "No drift: the devices match the configuration.\n", nil
	}
	fmt.Fprintf(&b, "Drift detected: %d resource(s) differ from the configuration.\n\n", len(lines))
	for _, l := range lines {
		b.WriteString(l)
	}
	if len(entries) > 0 {
		b.WriteString("\nDirectory entries that changed:\n")
		uuids := make([]string, 0, len(entries))
		for u := range entries {
			uuids = append(uuids, u)
		}
		sort.Strings(uuids)
		for _, u := range uuids {
			fmt.Fprintf(&b, "  %s (linked from %s)\n", u, strings.Join(entries[u], ", "))
		}
	}
	b.WriteString("\nRun `terraform apply` to bring the devices back to the configuration, or change the configuration to accept the edits.\n")
	return b.String(), nil
}

func isNoop(actions []string) bool {
	return len(actions) == 0 || (len(actions) == 1 && (actions[0] == "no-op" || actions[0] == "read"))
}

func symbol(actions []string) string {
	switch strings.Join(actions, "+") {
	case "create":
		return "+"
	case "delete":
		return "-"
	case "update":
		return "~"
	default:
		return "±"
	}
}

// changedFields lists the top-level attributes that differ between before
// and after.
func changedFields(rc resourceChange) []string {
	keys := map[string]bool{}
	for k := range rc.Change.Before {
		keys[k] = true
	}
	for k := range rc.Change.After {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if !reflect.DeepEqual(rc.Change.Before[k], rc.Change.After[k]) || isTrue(rc.Change.AfterUnknown, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// isTrue reports whether the sensitivity/unknown map marks key (wholly or in
// part).
func isTrue(marks any, key string) bool {
	m, ok := marks.(map[string]any)
	if !ok {
		return false
	}
	switch v := m[key].(type) {
	case bool:
		return v
	case map[string]any, []any:
		return true
	}
	return false
}

func describeField(rc resourceChange, f string) string {
	if isTrue(rc.Change.BeforeSensitive, f) || isTrue(rc.Change.AfterSensitive, f) {
		return f + ": (sensitive value)"
	}
	if isTrue(rc.Change.AfterUnknown, f) {
		return fmt.Sprintf("%s: %s -> (known after apply)", f, show(rc.Change.Before[f]))
	}
	return fmt.Sprintf("%s: %s -> %s", f, show(rc.Change.Before[f]), show(rc.Change.After[f]))
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func directoryMoved(rc resourceChange) (string, bool) {
	uuid, _ := rc.Change.After["directory_uuid"].(string)
	if uuid == "" || rc.Change.Before == nil {
		return "", false
	}
	for f := range directoryFields {
		if !reflect.DeepEqual(rc.Change.Before[f], rc.Change.After[f]) {
			return uuid, true
		}
	}
	return "", false
}

func directoryMovement(rc resourceChange) string {
	bs, as := rc.Change.Before["directory_series"], rc.Change.After["directory_series"]
	bt, at := rc.Change.Before["directory_timestamp"], rc.Change.After["directory_timestamp"]
	if !reflect.DeepEqual(bs, as) {
		return fmt.Sprintf("directory reset: series %s -> %s", show(bs), show(as))
	}
	return fmt.Sprintf("timestamp %s -> %s", show(bt), show(at))
}
