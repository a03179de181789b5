package mockpbx

import (
	"fmt"
	"net/http"
	"testing"
)

// TestControlCreateUser: POST /_mock/users creates a user as the web panel
// does (validated like users/add, defaults filled, _id kept when given),
// which users/search then returns; invalid bodies are 400.
func TestControlCreateUser(t *testing.T) {
	_, ts := newMock(t, Config{Control: true})
	var rec map[string]any
	if status := control(t, ts, http.MethodPost, "users", `{"name":"Fax","number":250,"secret":"fax-pw"}`, &rec); status != http.StatusCreated {
		t.Fatalf("POST users: HTTP %d %v", status, rec)
	}
	if rec["number"] != "250" || rec["secret"] != "fax-pw" || rec["port"] != "5060" || len(fmt.Sprint(rec["_id"])) != 24 {
		t.Errorf("created %v", rec)
	}
	const id = "64b558207af75f2cf3788803"
	if status := control(t, ts, http.MethodPost, "users", `{"_id":"`+id+`","name":"Kiosk","number":"251","secret":"k"}`, &rec); status != http.StatusCreated || rec["_id"] != id {
		t.Fatalf("POST users with _id: HTTP %d %v", status, rec)
	}
	found := searchUsers(t, ts, map[string]any{"conditions": map[string]any{"number": "251"}})
	if len(found) != 1 || found[0]["_id"] != id {
		t.Errorf("search: %v", found)
	}
	for _, body := range []string{
		`{"name":"No number","secret":"x"}`,                           // required field missing
		`{"name":"Dup","number":"250","secret":"x"}`,                  // number taken
		`{"_id":"` + id + `","name":"Dup","number":"9","secret":"x"}`, // _id taken
		`{"name":"Bad","number":"252","secret":"x","nat":"maybe"}`,    // invalid value
		`[1]`,
	} {
		if status := control(t, ts, http.MethodPost, "users", body, nil); status != http.StatusBadRequest {
			t.Errorf("POST users %s: HTTP %d, want 400", body, status)
		}
	}
	if status := control(t, ts, http.MethodPut, "users", `{}`, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT users: HTTP %d, want 405", status)
	}
	var all []map[string]any
	if control(t, ts, http.MethodGet, "users", "", &all); len(all) != 2 {
		t.Errorf("%d users stored, want 2", len(all))
	}
}
