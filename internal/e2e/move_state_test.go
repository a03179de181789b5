package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// The _ids of the users restapi created (seeded on the mock with them).
const (
	aliceID = "64b558207af75f2cf3788801"
	bobID   = "64b558207af75f2cf3788802"
	carolID = "64b558207af75f2cf3788803"
)

// restapiUsers are the users as the PBX holds them.
var restapiUsers = []map[string]any{
	{"_id": aliceID, "name": "Alice", "number": "201", "secret": "alice-rest-secret", "email": "alice@example.com"},
	{"_id": bobID, "name": "Bob", "number": "202", "secret": "bob-rest-secret", "call_record": "yes", "nat": "yes",
		"forward_policy": map[string]any{"Busy": "201", "No Answer": "", "UnAvailable": "", "All": ""}},
	{"_id": carolID, "name": "Carol", "number": "203", "secret": "carol-rest-secret", "user_type": "IAX2", "port": "4569", "trunk": "yes"},
}

// restapiObject is one restapi_object resource of a state written by
// Mastercard/restapi v3 (schema version 0: every attribute of its schema,
// unset ones null), managing a Simotel user through the users API.
func restapiObject(name, id, data string, apiData map[string]string, extra map[string]any) map[string]any {
	attrs := map[string]any{
		"path": "/api/v4/pbx/users", "create_path": "/api/v4/pbx/users/add", "read_path": "/api/v4/pbx/users/search",
		"update_path": "/api/v4/pbx/users/update", "destroy_path": "/api/v4/pbx/users/remove",
		"create_method": nil, "read_method": "POST", "update_method": "POST", "destroy_method": "POST",
		"id_attribute": "data/_id", "object_id": nil, "data": data, "debug": nil, "query_string": nil, "force_new": nil,
		"read_data": nil, "update_data": nil, "destroy_data": fmt.Sprintf(`{"_id":%q}`, id), "ignore_changes_to": nil,
		"ignore_all_server_changes": nil, "ignore_server_additions": true,
		"read_search": map[string]any{
			"query_string": nil, "search_data": `{"alike":false,"conditions":{}}`, "search_key": "_id", "search_value": "{id}",
			"results_key": "data", "search_patch": nil,
		},
		"create_response": fmt.Sprintf(`{"success":1,"message":"Done","data":{"_id":%q}}`, id),
		"api_data":        apiData,
		"api_response":    fmt.Sprintf(`{"_id":%q}`, id),
		"id":              id,
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return map[string]any{
		"mode": "managed", "type": "restapi_object", "name": name,
		"provider":  `provider["registry.terraform.io/mastercard/restapi"]`,
		"instances": []any{map[string]any{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []any{}}},
	}
}

// restapiState is a Terraform state holding these restapi_object resources.
func restapiState(t *testing.T, resources ...map[string]any) string {
	t.Helper()
	state, err := json.MarshalIndent(map[string]any{
		"version": 4, "terraform_version": "1.8.5", "serial": 7, "lineage": "6f0c3a52-2f0d-4c2c-9d1e-4d2b1c7d8e9f",
		"outputs": map[string]any{}, "resources": resources, "check_results": nil,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(state)
}

// withRestapiStandin makes the stack's Terraform load, besides this provider,
// the restapi stand-in (restapistandin) as registry.terraform.io/mastercard/restapi.
func withRestapiStandin(t *testing.T, s *stack) {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-restapi"), "./internal/e2e/restapistandin")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the restapi stand-in: %v\n%s", err, out)
	}
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"pbx-iac/pbx\" = %q\n    \"mastercard/restapi\" = %q\n  }\n  direct {}\n}\n", binDir, dir)
	writeFile(t, filepath.Join(filepath.Dir(s.dir), "terraformrc"), rc)
}

const movedConfig = `
moved {
  from = restapi_object.alice
  to   = pbx_user.alice
}
moved {
  from = restapi_object.bob
  to   = pbx_user.bob
}
moved {
  from = restapi_object.carol
  to   = pbx_user.carol
}

resource "pbx_user" "alice" {
  number = "201"
  name   = "Alice"
  secret = "alice-rest-secret"
  email  = "alice@example.com"
}

resource "pbx_user" "bob" {
  number      = "202"
  name        = "Bob"
  secret      = "bob-rest-secret"
  call_record = true
  nat         = "yes"
  forward_policy = {
    busy = "201"
  }
}

# Carol's restapi state holds the PBX's answer, secret masked: her secret is
# left out until it changes (as for an imported user).
resource "pbx_user" "carol" {
  number    = "203"
  name      = "Carol"
  user_type = "IAX2"
  port      = 4569
  trunk     = true
}
`

// TestMoveStateFromRestapiObject: three users managed with restapi_object
// move to pbx_user with moved blocks. The plan shows only the moves, neither
// plan nor apply writes to the PBX, and the next plan is empty. A
// restapi_object that is not a user fails the move, naming it.
func TestMoveStateFromRestapiObject(t *testing.T) {
	s := newStack(t, mockpbx.Config{Users: restapiUsers}, movedConfig)
	needsTerraform(t, 1, 8, "moved across resource types")
	withRestapiStandin(t, s)

	alice := `{"name":"Alice","number":"201","secret":"alice-rest-secret","email":"alice@example.com"}`
	bob := `{"name":"Bob","number":"202","secret":"bob-rest-secret","call_record":"yes","nat":"yes",` +
		`"forward_policy":{"Busy":"201","No Answer":"","UnAvailable":"","All":""}}`
	// After a refresh without ignore_server_additions, restapi keeps the PBX's answer as data.
	carol := `{"_id":"` + carolID + `","user_type":"IAX2","active":"yes","call_record":"no","push_notification":"no","name":"Carol",` +
		`"number":"203","cid_number":"","secret":"******","deny":"0.0.0.0/0.0.0.0","permit":"0.0.0.0/0.0.0.0","dtmfmode":"rfc2833",` +
		`"context":"main_routing","host":"dynamic","type":"user","port":"4569","qualify":"no","email":"",` +
		`"forward_policy":{"Busy":"","No Answer":"","UnAvailable":"","All":""},"more_options":"","trunk":"yes","transfer":"no",` +
		`"description":"","date":"1402/05/01 10:00:00"}`
	state := restapiState(t,
		restapiObject("alice", aliceID, alice, map[string]string{"success": "1", "message": "Done", "data": "map[_id:" + aliceID + "]"}, nil),
		restapiObject("bob", bobID, bob, map[string]string{"success": "1", "message": "Done", "data": "map[_id:" + bobID + "]"}, nil),
		restapiObject("carol", "203", carol, map[string]string{"_id": carolID, "name": "Carol", "number": "203"},
			map[string]any{"id_attribute": "number", "ignore_server_additions": nil}),
	)
	writeFile(t, filepath.Join(s.dir, "terraform.tfstate"), state)
	s.mock.ResetRequestCounts()

	out, code := s.terraform(nil, "plan", "-input=false", "-no-color", "-out=moves.tfplan")
	if code != 0 {
		t.Fatalf("plan exited %d:\n%s", code, out)
	}
	for _, want := range []string{"restapi_object.alice has moved to pbx_user.alice", "restapi_object.bob has moved to pbx_user.bob",
		"restapi_object.carol has moved to pbx_user.carol", "0 to add, 0 to change, 0 to destroy"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	planJSON, code := s.terraform(nil, "show", "-json", "moves.tfplan")
	if code != 0 {
		t.Fatalf("show -json exited %d:\n%s", code, planJSON)
	}
	var plan struct {
		ResourceChanges []struct {
			Address         string `json:"address"`
			PreviousAddress string `json:"previous_address"`
			Change          struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(planJSON), &plan); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, planJSON)
	}
	if len(plan.ResourceChanges) != 3 {
		t.Errorf("%d resource changes, want the 3 moves: %+v", len(plan.ResourceChanges), plan.ResourceChanges)
	}
	for _, rc := range plan.ResourceChanges {
		want := "restapi_object." + strings.TrimPrefix(rc.Address, "pbx_user.")
		if rc.PreviousAddress != want || len(rc.Change.Actions) != 1 || rc.Change.Actions[0] != "no-op" {
			t.Errorf("%s: previous address %q, actions %v; want a move from %s and no-op", rc.Address, rc.PreviousAddress, rc.Change.Actions, want)
		}
	}

	out = s.mustApply("moves.tfplan")
	if !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did more than move:\n%s", out)
	}
	counts := s.mock.RequestCounts()
	for _, write := range []string{"users/add", "users/update", "users/remove"} {
		if counts[write] != 0 {
			t.Errorf("plan and apply of the moves sent %d %s (counts %v)", counts[write], write, counts)
		}
	}
	if out, code := s.planExit(); code != 0 {
		t.Fatalf("plan after the moves exited %d, want 0 (empty):\n%s", code, out)
	}
	shown, _ := s.terraform(nil, "state", "show", "-no-color", "pbx_user.carol")
	if !strings.Contains(shown, carolID) {
		t.Errorf("pbx_user.carol is not user %s:\n%s", carolID, shown)
	}
	if raw, err := os.ReadFile(filepath.Join(s.dir, "terraform.tfstate")); err != nil || strings.Contains(string(raw), "restapi_object") {
		t.Errorf("restapi_object left in the state (err %v)", err)
	}

	// The configuration then changes like any other: one update, the secret sent.
	s.writeConfig(strings.Replace(movedConfig, `name   = "Alice"`, `name   = "Alice Smith"`, 1))
	s.mustApply()
	if u, _ := s.mock.UserByNumber("201"); u["name"] != "Alice Smith" || u["secret"] != "alice-rest-secret" {
		t.Errorf("user 201 after an update: %v", u)
	}
}

// TestMoveStateFromRestapiObjectNotAUser: a restapi_object whose data is not
// a PBX user fails the move with an error naming it, and nothing is written.
func TestMoveStateFromRestapiObjectNotAUser(t *testing.T) {
	s := newStack(t, mockpbx.Config{}, `
moved {
  from = restapi_object.queue
  to   = pbx_user.queue
}
resource "pbx_user" "queue" {
  number = "700"
  name   = "Queue"
  secret = "queue-secret"
}
`)
	needsTerraform(t, 1, 8, "moved across resource types")
	withRestapiStandin(t, s)
	writeFile(t, filepath.Join(s.dir, "terraform.tfstate"), restapiState(t,
		restapiObject("queue", "q-700", `{"queue_name":"support","strategy":"ringall"}`, map[string]string{}, map[string]any{"path": "/api/v4/pbx/queues"})))
	out, code := s.planExit()
	if code != 1 {
		t.Fatalf("plan exited %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"Unable to move restapi_object (path /api/v4/pbx/queues, id q-700) to pbx_user: not a PBX user", `its data has no "number"`} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if n := len(s.users()); n != 0 {
		t.Errorf("%d users on the PBX", n)
	}
}
