package mockpbx

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDirServiceErrors: the generic 2N error codes with a documented trigger
// come as HTTP 200 with an error body (401 only for authentication), in the
// documented check order, and every such request is counted as a request;
// only the 401s are counted as challenges.
func TestDirServiceErrors(t *testing.T) {
	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass))
	tests := []struct {
		name       string
		cfg        Config
		tls        bool
		method     string
		fn         string
		headers    []string
		status     int
		code       int
		challenges int
	}{
		{"HTTPS required, plain HTTP: 7", Config{DirHTTPSOnly: true}, false, "POST", "dir/get", nil, 200, 7, 0},
		{"HTTPS required, over HTTPS: answered", Config{DirHTTPSOnly: true}, true, "POST", "dir/get", nil, 200, 0, 0},
		{"HTTPS required comes before authentication", Config{DirHTTPSOnly: true, DirAuth: "basic"}, false, "POST", "dir/get", nil, 200, 7, 0},
		{"service disabled: 4", Config{DirDisabled: true}, false, "POST", "dir/query", nil, 200, 4, 0},
		{"function not in this model: 1", Config{DirUnsupported: []string{"dir/template"}}, false, "GET", "dir/template", nil, 200, 1, 0},
		{"other functions of that model: answered", Config{DirUnsupported: []string{"dir/template"}}, false, "POST", "dir/get", nil, 200, 0, 0},
		{"no privilege, authenticated: 10", Config{DirNoPrivilege: true, DirAuth: "basic"}, false, "POST", "dir/get", []string{basic}, 200, 10, 0},
		{"no privilege, no credentials: 9 first", Config{DirNoPrivilege: true, DirAuth: "basic"}, false, "POST", "dir/get", nil, 401, 9, 1},
		{"wrong method: 3", Config{}, false, "GET", "dir/get", nil, 200, 3, 0},
		{"missing parameter: 11", Config{}, false, "PUT", "dir/update", nil, 200, 11, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Accounts = []Account{{Username: testUser, Password: testPass, APIKey: testKey, Mode: "both"}}
			if cfg.DirAuth == "" {
				cfg.DirAuth = "none"
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewUnstartedServer(s)
			client := http.DefaultClient
			if tt.tls {
				ts.StartTLS()
				client = ts.Client()
			} else {
				ts.Start()
			}
			t.Cleanup(ts.Close)
			resp, body, err := do(context.Background(), client, tt.method, ts.URL+"/api/"+tt.fn, "{}", tt.headers...)
			if err != nil {
				t.Fatal(err)
			}
			reply := decodeDir(t, body)
			code := 0
			if reply.Error != nil {
				code = reply.Error.Code
				if reply.Error.Description != dirErrorText[code] || reply.Success {
					t.Errorf("error %+v, want the description %q", reply.Error, dirErrorText[code])
				}
			}
			if resp.StatusCode != tt.status || code != tt.code {
				t.Errorf("HTTP %d code %d, want %d %d: %s", resp.StatusCode, code, tt.status, tt.code, body)
			}
			if got := s.RequestCounts()[tt.fn]; got != 1-tt.challenges {
				t.Errorf("%d requests counted, want %d", got, 1-tt.challenges)
			}
			if got := s.ChallengeCounts()[tt.fn]; got != tt.challenges {
				t.Errorf("%d challenges counted, want %d", got, tt.challenges)
			}
		})
	}
	if _, err := New(Config{Accounts: []Account{{Username: "a", Password: "b", APIKey: "k"}}, DirUnsupported: []string{"dir/photo"}}); err == nil || !strings.Contains(err.Error(), "dir/photo") {
		t.Errorf("an unknown unsupported function: %v", err)
	}
}
