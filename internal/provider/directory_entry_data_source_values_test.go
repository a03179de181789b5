package provider

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// TestEntryValuesFromSplitsCredentials: fields_json never holds a credential,
// credentials_json holds exactly them, and neither is filled unless asked for.
func TestEntryValuesFromSplitsCredentials(t *testing.T) {
	raw := `{"uuid":"X","name":"Front","access":{"validTo":"0","pin":"4321","code":["12",""],"card":["CARD1234",""],"virtCard":"v","mobkey":"m","fpt":"f"}}`
	onlyCreds := `{"uuid":"X","access":{"pin":"1"}}`
	for _, tc := range []struct {
		name              string
		raw               string
		withJSON, withCrd bool
		wantJSON, wantCrd string // "" = null
	}{
		{"nothing asked", raw, false, false, "", ""},
		{"fields_json only", raw, true, false, `{"access":{"validTo":"0"},"name":"Front","uuid":"X"}`, ""},
		{"credentials only", raw, false, true, "", `{"card":["CARD1234",""],"code":["12",""],"fpt":"f","mobkey":"m","pin":"4321","virtCard":"v"}`},
		{"access emptied is dropped", onlyCreds, true, true, `{"uuid":"X"}`, `{"pin":"1"}`},
		{"no access at all", `{"uuid":"X"}`, true, true, `{"uuid":"X"}`, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := pbxapi.DecodeEntry(json.RawMessage(`{"uuid":"X","name":"Front","timestamp":1}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Raw = json.RawMessage(tc.raw)
			v, creds, err := entryValuesFrom(&res, tc.withJSON, tc.withCrd)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.FieldsJSON.ValueString(); v.FieldsJSON.IsNull() != (tc.wantJSON == "") || got != tc.wantJSON {
				t.Errorf("fields_json %q (null %v), want %q", got, v.FieldsJSON.IsNull(), tc.wantJSON)
			}
			if got := creds.ValueString(); creds.IsNull() != (tc.wantCrd == "") || got != tc.wantCrd {
				t.Errorf("credentials_json %q (null %v), want %q", got, creds.IsNull(), tc.wantCrd)
			}
			if v.Name.ValueString() != "Front" {
				t.Errorf("name %q", v.Name.ValueString())
			}
		})
	}
	if _, _, err := entryValuesFrom(&pbxapi.Entry{Raw: json.RawMessage(`[1]`)}, true, false); err == nil {
		t.Error("an entry that is not a JSON object was accepted")
	}
}

// TestEntryTerraformValueMatchesFramework: the plural data source's entries,
// built as Terraform values directly, are exactly what the framework makes of
// the same entry as a framework object value (nulls, call positions, fields_json).
func TestEntryTerraformValueMatchesFramework(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		withJSON  bool
		positions int
	}{
		{"bare", `{"uuid":"X","timestamp":0}`, false, 0},
		{"every typed field", `{"uuid":"X","name":"Front","email":"a@b","treepath":"/x","virtNumber":"12","owner":"","timestamp":7}`, false, 0},
		{"call positions, some fields missing", `{"uuid":"X","name":"Front","timestamp":3,"callPos":[{"peer":"101","grouped":false,"profiles":"1"},{"peer":"sip:a@b"},{"grouped":true}]}`, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := pbxapi.DecodeEntry(json.RawMessage(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			v, _, err := entryValuesFrom(&e, tc.withJSON, false)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(v.CallPositions.Elements()); n != tc.positions {
				t.Fatalf("%d call positions decoded, want %d", n, tc.positions)
			}
			fw := types.ObjectValueMust(entryObjectType.AttrTypes, map[string]attr.Value{
				"name": v.Name, "email": v.Email, "treepath": v.Treepath, "virt_number": v.VirtNumber, "owner": v.Owner,
				"call_positions": v.CallPositions, "timestamp": v.Timestamp, "fields_json": v.FieldsJSON,
			})
			want, err := fw.ToTerraformValue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := entryTerraformValue(v); !got.Equal(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
