package pbxapi_test

import (
	"encoding/json"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestEntryRecordsWhatWasReturned: the one decoder tells a field the device
// did not return from one it returned empty or null, for every reader; the
// managed model (Fields) puts a new entry's defaults where nothing usable was
// returned; what only the managed model cannot hold fails Fields alone.
func TestEntryRecordsWhatWasReturned(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		has      map[string]bool // key -> Has
		text     map[string]any  // key -> Text: nil or the string
		treepath string          // Fields().Treepath
		unfit    bool            // Fields fails
	}{
		{name: "absent", raw: `{"timestamp":1}`,
			has:  map[string]bool{"name": false, "treepath": false, "callPos": false, "access": false, "access.pin": false},
			text: map[string]any{"name": nil, "treepath": nil}, treepath: "/"},
		{name: "empty", raw: `{"name":"","treepath":"","callPos":[{"peer":""}],"access":{"pin":""},"timestamp":1}`,
			has:  map[string]bool{"name": true, "treepath": true, "callPos": true, "callPos[0].peer": true, "callPos[0].grouped": false, "access.pin": true},
			text: map[string]any{"name": "", "treepath": ""}, treepath: ""},
		{name: "null", raw: `{"name":null,"treepath":null,"callPos":[{"grouped":null}],"access":null,"timestamp":1}`,
			has:  map[string]bool{"name": true, "treepath": true, "callPos[0].grouped": true, "access": true, "access.pin": false},
			text: map[string]any{"name": "", "treepath": ""}, treepath: "/"},
		{name: "numbers as strings", raw: `{"virtNumber":12,"access":{"validTo":"7"},"timestamp":"3"}`,
			has:  map[string]bool{"virtNumber": true, "access.validTo": true, "access.validFrom": false},
			text: map[string]any{"virtNumber": "12", "deputy": nil}, treepath: "/"},
		{name: "four call positions", raw: `{"name":"N","callPos":[{},{},{},{"peer":"4"}],"timestamp":1}`,
			has:  map[string]bool{"callPos[3].peer": true},
			text: map[string]any{"name": "N"}, unfit: true},
		{name: "malformed access", raw: `{"name":"N","access":{"code":"12"},"timestamp":1}`,
			has:  map[string]bool{"access": true, "access.code": true},
			text: map[string]any{"name": "N"}, unfit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := pbxapi.DecodeEntry(json.RawMessage(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			for key, want := range tt.has {
				if e.Has(key) != want {
					t.Errorf("Has(%q) = %v, want %v", key, !want, want)
				}
			}
			for key, want := range tt.text {
				got := e.Text(key)
				switch {
				case want == nil && got != nil:
					t.Errorf("Text(%q) = %q, want nil", key, *got)
				case want != nil && (got == nil || *got != want):
					t.Errorf("Text(%q) = %v, want %q", key, got, want)
				}
			}
			f, err := e.Fields()
			switch {
			case tt.unfit:
				if err == nil {
					t.Fatalf("Fields() = %+v, want an error", f)
				}
			case err != nil:
				t.Fatal(err)
			case f.Treepath != tt.treepath:
				t.Errorf("Fields().Treepath = %q, want %q", f.Treepath, tt.treepath)
			}
		})
	}
}
