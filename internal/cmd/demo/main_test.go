package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestFindRepoRoot(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "go.mod"), "module "+modulePath+"\n\ngo 1.26\n")
	// A nested module (like tools/) must not be mistaken for the repository root.
	mustWrite(t, filepath.Join(root, "tools", "go.mod"), "module "+modulePath+"/tools\n")
	start := filepath.Join(root, "tools", "a", "b")
	if err := os.MkdirAll(start, 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := findRepoRoot(start)
	if err != nil {
		t.Fatal(err)
	}
	if got != root {
		t.Errorf("findRepoRoot(%s) = %s, want %s", start, got, root)
	}

	if _, err := findRepoRoot(t.TempDir()); err == nil {
		t.Error("findRepoRoot outside any module: want an error, got nil")
	}
}

func TestFindUser(t *testing.T) {
	body := []byte(`[
		{"_id":"603b41443e14270c550bf15a","number":"200","name":"Zed","call_record":"no"},
		{"_id":"603b41443e14270c550bf15b","number":201,"name":"Alice","call_record":"yes"}
	]`)
	got, err := findUser(body, "201")
	if err != nil {
		t.Fatal(err)
	}
	want := mockUser{ID: "603b41443e14270c550bf15b", Number: "201", Name: "Alice", CallRecord: "yes"}
	if got != want {
		t.Errorf("findUser = %+v, want %+v", got, want)
	}

	for name, tc := range map[string]struct{ body, number string }{
		"missing":   {`[{"_id":"x","number":"200"}]`, "201"},
		"no _id":    {`[{"number":"201"}]`, "201"},
		"not array": {`{"users":[]}`, "201"},
	} {
		if _, err := findUser([]byte(tc.body), tc.number); err == nil {
			t.Errorf("%s: want an error, got nil", name)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	base := []string{"PATH=/bin", "PBX_DIRECTORY_ENDPOINT=https://real.example.com", "PBX_ENDPOINT=https://real.example.com", "TF_CLI_CONFIG_FILE=/x"}
	got := mergeEnv(base, map[string]string{"PBX_ENDPOINT": "http://127.0.0.1:1", "TF_CLI_CONFIG_FILE": "/demo/terraformrc"})
	slices.Sort(got)
	want := []string{"PATH=/bin", "PBX_ENDPOINT=http://127.0.0.1:1", "TF_CLI_CONFIG_FILE=/demo/terraformrc"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}

func TestWriteCLIConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "terraformrc")
	if err := writeCLIConfig(file, filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := `"pbx-iac/pbx" = "` + filepath.ToSlash(filepath.Join(dir, "bin")) + `"`
	if !strings.Contains(string(data), want) || !strings.Contains(string(data), "direct {}") {
		t.Errorf("CLI config lacks %s or direct {}:\n%s", want, data)
	}
}

func TestCopyConfig(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "work")
	mustWrite(t, filepath.Join(src, "main.tf"), "# main\n")
	mustWrite(t, filepath.Join(src, "seed.json"), "{}")
	mustWrite(t, filepath.Join(dst, "terraform.tfstate"), "{}") // left over from an earlier run

	if err := copyConfig(src, dst); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"main.tf"}) {
		t.Errorf("work dir holds %q, want only main.tf", names)
	}
}

// The demo edits user 201 and the seeded directory entry; the example
// configuration and seed must provide them.
func TestDemoFixturesMatch(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "examples", "demo")

	type entry struct {
		UUID string `json:"uuid"`
	}
	var seed struct {
		Users     []json.RawMessage `json:"users"`
		Directory []entry           `json:"directory"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &seed); err != nil {
		t.Fatalf("seed.json: %v", err)
	}
	if len(seed.Users) != 0 {
		t.Errorf("seed.json has %d users; the demo expects Terraform to create them all", len(seed.Users))
	}
	if !slices.Contains(seed.Directory, entry{UUID: demoEntryUUID}) {
		t.Errorf("seed.json has no directory entry %s", demoEntryUUID)
	}

	tf, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`number\s*=\s*"` + editedUserNumber + `"`).Match(tf) {
		t.Errorf("main.tf defines no user with number %s", editedUserNumber)
	}
	if !strings.Contains(string(tf), `"`+demoEntryUUID+`"`) {
		t.Errorf("main.tf does not read directory entry %s", demoEntryUUID)
	}
}

func mustWrite(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
