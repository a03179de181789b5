package main

import (
	"strings"
	"testing"
)

const planJSON = `{
  "resource_drift": [
    {"address": "pbx_user.alice", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Alice", "call_record": true, "secret": "hunter2"},
       "after":  {"name": "Alice (edited in web panel)", "call_record": false, "secret": "hunter2"},
       "before_sensitive": {"secret": true}, "after_sensitive": {"secret": true}}}
  ],
  "resource_changes": [
    {"address": "pbx_user.alice", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Alice (edited in web panel)", "call_record": false, "secret": "old-secret", "directory_uuid": null},
       "after":  {"name": "Alice", "call_record": true, "secret": "new-secret", "directory_uuid": null},
       "before_sensitive": {"secret": true}, "after_sensitive": {"secret": true}, "after_unknown": {}}},
    {"address": "pbx_user.bob", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Bob", "directory_uuid": "B0B00000-0000-4000-8000-000000000002", "directory_timestamp": 3, "directory_series": "1"},
       "after":  {"name": "Bobby", "directory_uuid": "B0B00000-0000-4000-8000-000000000002", "directory_timestamp": 7, "directory_series": "1"},
       "before_sensitive": {}, "after_sensitive": {}, "after_unknown": {}}},
    {"address": "pbx_user.carol", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["update"],
       "before": {"name": "Carol", "directory_uuid": "C0C00000-0000-4000-8000-000000000003", "directory_timestamp": 3, "directory_series": "1"},
       "after":  {"name": "Carol", "directory_uuid": "C0C00000-0000-4000-8000-000000000003", "directory_timestamp": 1, "directory_series": "2"},
       "before_sensitive": {}, "after_sensitive": {}, "after_unknown": {}}},
    {"address": "pbx_user.dave", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["create"], "before": null, "after": {"name": "Dave"}, "after_unknown": {"id": true}}},
    {"address": "pbx_user.erin", "mode": "managed", "type": "pbx_user",
     "change": {"actions": ["no-op"], "before": {"name": "Erin"}, "after": {"name": "Erin"}}},
    {"address": "data.pbx_directory_entry.x", "mode": "data", "type": "pbx_directory_entry",
     "change": {"actions": ["read"], "before": null, "after": {}}}
  ]
}`

func TestBuild(t *testing.T) {
	report, err := build(strings.NewReader(planJSON))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Drift detected: 4 resource(s)",
		`~ pbx_user.alice (update)`,
		`name: "Alice (edited in web panel)" -> "Alice"`,
		`call_record: false -> true`,
		`secret: (sensitive value)`,
		"edited outside Terraform: call_record, name\n",
		`name: "Bob" -> "Bobby"`,
		`directory entry B0B00000-0000-4000-8000-000000000002 changed (timestamp 3 -> 7)`,
		`directory entry C0C00000-0000-4000-8000-000000000003 changed (directory reset: series "1" -> "2")`,
		`+ pbx_user.dave (create)`,
		`missing on the device, will be created`,
		"Directory entries that changed:",
		"B0B00000-0000-4000-8000-000000000002 (linked from pbx_user.bob)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	for _, leak := range []string{"hunter2", "old-secret", "new-secret", "pbx_user.erin", "data.pbx_directory_entry"} {
		if strings.Contains(report, leak) {
			t.Errorf("report contains %q:\n%s", leak, report)
		}
	}
}

func TestBuildNoDrift(t *testing.T) {
	report, err := build(strings.NewReader(`{"resource_changes":[{"address":"pbx_user.a","mode":"managed","change":{"actions":["no-op"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(report, "No drift") {
		t.Fatalf("report = %q", report)
	}
}

func TestBuildRejectsGarbage(t *testing.T) {
	if _, err := build(strings.NewReader("<html>")); err == nil {
		t.Fatal("a non-JSON plan was accepted")
	}
}
