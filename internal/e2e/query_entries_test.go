package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// doorEntries are entries set up in the intercom's web page, with door
// codes: a PIN, switch codes and a card.
var doorEntries = []map[string]any{
	{"uuid": "D0012345-0000-4000-8000-000000000012", "name": "Flat 12", "treepath": "/Flats",
		"access": map[string]any{"pin": "97531", "code": []any{"2580"}, "card": []any{"CARD1234"}}},
	{"uuid": "D0012345-0000-4000-8000-000000000013", "name": "Flat 13", "treepath": "/Flats",
		"callPos": []any{map[string]any{"peer": "213"}},
		"access":  map[string]any{"pin": "8642", "code": []any{"", "1357"}, "validTo": "1798761600"}},
}

// TestQueryGenerateConfigKeepsEntryCredentials is the door-codes acceptance
// test: entries with a PIN, switch codes and a card, adopted by `terraform
// query -generate-config-out` and the generated file applied as written.
// The file names no credential, the plan only imports, the apply writes
// nothing, the intercom keeps every code, and the next plan is empty.
func TestQueryGenerateConfigKeepsEntryCredentials(t *testing.T) {
	needsTerraform(t, 1, 14, "terraform query -generate-config-out")
	s := newStack(t, mockpbx.Config{Directory: doorEntries}, "provider \"pbx\" {}\n")
	writeFile(t, filepath.Join(s.dir, "entries.tfquery.hcl"), `
list "pbx_directory_entry" "panel" {
  provider = pbx
  config {
    treepath_prefix = "/Flats"
  }
}
`)
	out, code := s.terraform(nil, "query", "-no-color", "-generate-config-out=generated.tf")
	if code != 0 {
		t.Fatalf("terraform query exited %d:\n%s", code, out)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	generated := string(data)
	if n := strings.Count(generated, "\nresource \"pbx_directory_entry\""); n != len(doorEntries) {
		t.Errorf("%d resource blocks, want %d:\n%s", n, len(doorEntries), generated)
	}
	for _, secret := range []string{"97531", "2580", "CARD1234", "8642", "1357"} {
		if strings.Contains(generated, secret) || strings.Contains(out, secret) {
			t.Errorf("the query output or the generated configuration contains the credential %s:\n%s", secret, generated)
		}
	}
	if m := regexp.MustCompile(`(?m)^\s*(pin|codes|cards)\s*=\s*[^n\s].*$`).FindString(generated); m != "" {
		t.Errorf("the generated configuration sets a credential: %s", m)
	}

	applyAdoption(t, s, generated, len(doorEntries))
	if counts := s.mock.RequestCounts(); counts["dir/create"]+counts["dir/update"]+counts["dir/delete"] != 0 {
		t.Errorf("the adopting apply wrote to the directory: %v", counts)
	}
	for _, seed := range doorEntries {
		uuid, _ := seed["uuid"].(string)
		e, ok := s.mock.DirectoryEntry(uuid)
		access, _ := e["access"].(map[string]any)
		seedAccess, _ := seed["access"].(map[string]any)
		if !ok || access["pin"] != seedAccess["pin"] {
			t.Errorf("entry %s: PIN %v after the apply, want %v", uuid, access["pin"], seedAccess["pin"])
		}
		for _, key := range []string{"code", "card"} {
			want, _ := seedAccess[key].([]any)
			got, _ := access[key].([]any)
			for i, w := range want {
				if i >= len(got) || got[i] != w {
					t.Errorf("entry %s: access.%s %v after the apply, want it to start with %v", uuid, key, got, want)
					break
				}
			}
		}
	}
	if out, code := s.planExit(); code != 0 {
		t.Fatalf("plan after adopting exited %d, want 0 (no changes):\n%s", code, out)
	}
}
