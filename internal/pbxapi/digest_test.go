package pbxapi_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// digestNonces issues RFC 7616 Digest challenges (MD5, qop=auth) and checks
// the answers, independently of the client's digest code. It refuses a
// nonce count that is not higher than the last one seen, as a strict device
// does.
type digestNonces struct {
	mu      sync.Mutex
	nonceNC map[string]uint64 // highest nc seen per issued nonce
}

const digestRealm, digestOpaque = "2N IP Intercom", "5ccc069c403ebaf9f0171e9517f40e41"

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// parseDigest parses the parameters of an "Authorization: Digest" header.
func parseDigest(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "Digest ")
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return out, true
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = rest[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, false
			}
			val, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		out[key] = val
	}
}

// verify returns why the request's Digest answer is not user:pass's, or "".
func (d *digestNonces) verify(r *http.Request, user, pass string) string {
	p, ok := parseDigest(r.Header.Get("Authorization"))
	if !ok {
		return "no digest authorization"
	}
	switch {
	case p["username"] != user:
		return "unknown user " + p["username"]
	case p["realm"] != digestRealm:
		return "wrong realm"
	case p["uri"] != r.URL.RequestURI():
		return "uri " + p["uri"] + " does not match " + r.URL.RequestURI()
	case p["qop"] != "auth":
		return "qop " + p["qop"]
	case p["algorithm"] != "" && !strings.EqualFold(p["algorithm"], "MD5"):
		return "algorithm " + p["algorithm"]
	case p["opaque"] != digestOpaque:
		return "opaque"
	case p["cnonce"] == "":
		return "no cnonce"
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 64)
	if err != nil || len(p["nc"]) != 8 {
		return "bad nc " + p["nc"]
	}
	d.mu.Lock()
	last, known := d.nonceNC[p["nonce"]]
	d.mu.Unlock()
	if !known {
		return "unknown nonce"
	}
	ha1 := md5hex(user + ":" + digestRealm + ":" + pass)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2}, ":"))
	if p["response"] != want {
		return "wrong response (password)"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if nc <= last {
		return "replayed nc"
	}
	d.nonceNC[p["nonce"]] = nc
	return ""
}

// challenge issues a new nonce and returns the WWW-Authenticate value.
func (d *digestNonces) challenge() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	d.mu.Lock()
	if d.nonceNC == nil {
		d.nonceNC = map[string]uint64{}
	}
	d.nonceNC[nonce] = 0
	d.mu.Unlock()
	return fmt.Sprintf(`Digest realm=%q, qop="auth", nonce=%q, opaque=%q, algorithm=MD5`, digestRealm, nonce, digestOpaque)
}

// forget makes every issued nonce unknown, as a device restart or nonce
// expiry does.
func (d *digestNonces) forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.nonceNC)
}

func TestDirectoryBasicAndNone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      pbxapi.DirectoryConfig
		wantUser string // "" = no Authorization header
		wantPass string
	}{
		{"basic", pbxapi.DirectoryConfig{Username: "door", Password: "doorpw", Auth: pbxapi.DirectoryAuthBasic}, "door", "doorpw"},
		{"basic with the PBX credentials", pbxapi.DirectoryConfig{Auth: pbxapi.DirectoryAuthBasic}, testUser, testPass},
		{"basic with own user, PBX password", pbxapi.DirectoryConfig{Username: "door", Auth: pbxapi.DirectoryAuthBasic}, "door", testPass},
		{"none", pbxapi.DirectoryConfig{Auth: pbxapi.DirectoryAuthNone}, "", ""},
		{"none with credentials", pbxapi.DirectoryConfig{Username: "door", Password: "doorpw", Auth: pbxapi.DirectoryAuthNone}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &headerRecorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			cfg := fastConfig(srv.URL)
			cfg.Directory = tc.dir
			if _, err := newClient(t, cfg).GetEntries(testCtx(t), []string{}, nil); err != nil {
				t.Fatal(err)
			}
			r := rec.last(t)
			u, p, ok := r.BasicAuth()
			if tc.wantUser == "" {
				if h := r.Header.Get("Authorization"); h != "" {
					t.Errorf("Authorization %q sent with auth none", h)
				}
			} else if !ok || u != tc.wantUser || p != tc.wantPass {
				t.Errorf("basic auth %q/%q, want %q/%q", u, p, tc.wantUser, tc.wantPass)
			}
			if r.Header.Get("X-APIKEY") != "" {
				t.Error("X-APIKEY sent to the directory")
			}
		})
	}
}

// TestDirectoryDefaults: with no directory settings the client uses the PBX
// host and credentials, with Digest, on one server that serves both APIs
// (as the mock does), also when the PBX endpoint ends in /api/v4.
func TestDirectoryDefaults(t *testing.T) {
	for _, suffix := range []string{"", "/", "/api/v4", "/api/v4/"} {
		t.Run("endpoint"+suffix, func(t *testing.T) {
			ds := newAuthServer("digest")
			ds.user, ds.pass = testUser, testPass
			mux := http.NewServeMux()
			mux.Handle("/api/dir/", ds)
			mux.Handle(usersPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
					writeJSON(w, 401, simotelFail("BasicAuth or ApiKey is missing"))
					return
				}
				writeJSON(w, 200, map[string]any{"success": 1, "message": "", "data": []any{}})
			}))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			cfg := fastConfig(srv.URL + suffix)
			cfg.AuthMode, cfg.APIKey = pbxapi.AuthBasic, ""
			cfg.Directory = pbxapi.DirectoryConfig{}
			c := newClient(t, cfg)
			if _, err := c.SearchUsers(testCtx(t), pbxapi.SearchQuery{}); err != nil {
				t.Fatal(err)
			}
			res, err := c.GetEntries(testCtx(t), []string{"01234567-89AB-CDEF-0123-456789ABCDEF"}, nil)
			if err != nil {
				t.Fatalf("GetEntries: %v", err)
			}
			if res.Series != "77" || ds.unauthorized.Load() != 1 || ds.requests.Load() != 2 {
				t.Errorf("series %q, %d requests, %d challenged, want 2 and 1", res.Series, ds.requests.Load(), ds.unauthorized.Load())
			}
		})
	}
	t.Run("token-only PBX: directory without auth", func(t *testing.T) {
		rec := &headerRecorder{}
		srv := httptest.NewServer(rec)
		defer srv.Close()
		cfg := fastConfig(srv.URL)
		cfg.AuthMode, cfg.Username, cfg.Password = pbxapi.AuthToken, "", ""
		cfg.Directory = pbxapi.DirectoryConfig{}
		if _, err := newClient(t, cfg).GetEntries(testCtx(t), []string{}, nil); err != nil {
			t.Fatal(err)
		}
		if h := rec.last(t).Header.Get("Authorization"); h != "" {
			t.Errorf("Authorization %q", h)
		}
	})
}

func jsonUnmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
