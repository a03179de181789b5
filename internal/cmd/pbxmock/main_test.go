package main

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		args []string
		err  string
	}{
		{nil, ""},
		{[]string{"-addr", "127.0.0.1:0", "-auth-mode", "token", "-dir-auth", "none"}, ""},
		{[]string{"-tls-cert", "c.pem"}, "go together"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-no-such-flag"}, "not defined"},
		{[]string{"-reading", "foreign_series=all", "-reading", "grouped=string", "-dir-https-only"}, ""},
		{[]string{"-reading", "colour=red"}, "unknown reading"},
	}
	for _, c := range cases {
		_, err := parseFlags(c.args)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.err)
		}
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "10.0.0.1:0", ":0"} {
		if ln, err := listenLoopback(addr); err == nil {
			_ = ln.Close()
			t.Errorf("listened on %s, a non-loopback address", addr)
		}
	}
	ln, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
}

func TestSeedConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(good, []byte(`{"users":[{"name":"A","number":"1","secret":"s"}],"directory":[{"name":"Lobby"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"-seed", good})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Users) != 1 || len(cfg.Directory) != 1 || cfg.Accounts[0].Username != "admin" || !cfg.Control {
		t.Fatalf("config from flags and seed: %+v", cfg)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"userz":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o.seed = bad
	if _, err := o.config(); err == nil || !strings.Contains(err.Error(), "userz") {
		t.Fatalf("a seed with an unknown key: %v", err)
	}
}

func TestCall(t *testing.T) {
	mock, err := mockpbx.New(mockpbx.Config{
		Accounts: []mockpbx.Account{{Username: "u", Password: "p", APIKey: "k"}},
		Control:  true,
		Users:    []map[string]any{{"name": "Alice", "number": "201", "secret": "s3cret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mock)
	t.Cleanup(srv.Close)
	var out strings.Builder
	if err := call([]string{srv.URL, "PATCH", "users/number:201", `{"name":"Alice (edited)"}`}, &out); err != nil {
		t.Fatal(err)
	}
	if u, _ := mock.UserByNumber("201"); u["name"] != "Alice (edited)" || !strings.Contains(out.String(), `"name":"Alice (edited)"`) {
		t.Errorf("stored %v, printed %s", u, out.String())
	}
	for _, args := range [][]string{{srv.URL, "GET"}, {srv.URL, "PUT", "faults", "{"}, {srv.URL, "GET", "nothing"}} {
		if err := call(args, io.Discard); err == nil {
			t.Errorf("call %q: no error", args)
		}
	}
}

// TestReadingFlags: -reading sets the mock's readings; a value New does not
// know is refused when the mock is built.
func TestReadingFlags(t *testing.T) {
	o, err := parseFlags([]string{"-reading", "foreign_series=all", "-reading", "add_reply=status", "-dir-https-only"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Readings.ForeignSeries != "all" || cfg.Readings.AddReply != "status" || !cfg.DirHTTPSOnly {
		t.Errorf("config %+v", cfg)
	}
	if _, err := mockpbx.New(cfg); err != nil {
		t.Error(err)
	}
	o, _ = parseFlags([]string{"-reading", "query_iterator=>="})
	cfg, _ = o.config()
	if _, err := mockpbx.New(cfg); err == nil || !strings.Contains(err.Error(), "query_iterator") {
		t.Errorf("query_iterator=>=: %v", err)
	}
}
