package pbxapi_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// digestServer implements RFC 7616 Digest (MD5, qop=auth) in front of next,
// independently of the client's digest library.
type digestServer struct {
	realm, user, pass, opaque string
	next                      http.Handler

	challenges atomic.Int64 // 401s sent
	authorized atomic.Int64 // requests passed to next

	mu      sync.Mutex
	nonceNC map[string]uint64 // highest nc seen per issued nonce
	reasons []string          // why authorizations were rejected
}

func newDigestServer(user, pass string, next http.Handler) *digestServer {
	return &digestServer{realm: "2N IP Intercom", user: user, pass: pass, opaque: "5ccc069c403ebaf9f0171e9517f40e41", next: next, nonceNC: map[string]uint64{}}
}

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

func (d *digestServer) verify(r *http.Request) string {
	p, ok := parseDigest(r.Header.Get("Authorization"))
	if !ok {
		return "no digest authorization"
	}
	switch {
	case p["username"] != d.user:
		return "unknown user " + p["username"]
	case p["realm"] != d.realm:
		return "wrong realm"
	case p["uri"] != r.URL.RequestURI():
		return "uri " + p["uri"] + " does not match " + r.URL.RequestURI()
	case p["qop"] != "auth":
		return "qop " + p["qop"]
	case p["algorithm"] != "" && !strings.EqualFold(p["algorithm"], "MD5"):
		return "algorithm " + p["algorithm"]
	case p["opaque"] != d.opaque:
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
	ha1 := md5hex(d.user + ":" + d.realm + ":" + d.pass)
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
func (d *digestServer) challenge() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	d.mu.Lock()
	d.nonceNC[nonce] = 0
	d.mu.Unlock()
	return fmt.Sprintf(`Digest realm=%q, qop="auth", nonce=%q, opaque=%q, algorithm=MD5`, d.realm, nonce, d.opaque)
}

// forgetNonces makes every issued nonce unknown, as a device restart or
// nonce expiry does.
func (d *digestServer) forgetNonces() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.nonceNC)
}

func (d *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if why := d.verify(r); why != "" {
		d.mu.Lock()
		d.reasons = append(d.reasons, why)
		d.mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		d.challenges.Add(1)
		w.Header().Set("WWW-Authenticate", d.challenge())
		writeRaw(w, http.StatusUnauthorized, "application/json", `{"success":false,"error":{"code":9,"description":"authorization required"}}`)
		return
	}
	d.authorized.Add(1)
	d.next.ServeHTTP(w, r)
}

// dirGetHandler answers api/dir/get with one found entry per requested
// uuid after checking the JSON body.
type dirGetHandler struct {
	mu     sync.Mutex
	bodies []string
}

func (h *dirGetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := mustRead(r)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(body))
	h.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != dirGetPath || r.Header.Get("Content-Type") != "application/json" {
		writeRaw(w, 200, "application/json", `{"success":false,"error":{"code":3,"description":"invalid request method"}}`)
		return
	}
	var req struct {
		Fields []string `json:"fields"`
		Users  []struct {
			UUID string `json:"uuid"`
		} `json:"users"`
	}
	if err := jsonUnmarshalStrict(body, &req); err != nil {
		writeRaw(w, 200, "application/json", `{"success":false,"error":{"code":12,"param":"users","description":"invalid parameter value"}}`)
		return
	}
	var users []string
	for i, u := range req.Users {
		users = append(users, fmt.Sprintf(`{"uuid":%q,"name":"N%d","timestamp":%d}`, u.UUID, i, 10+i))
	}
	writeRaw(w, 200, "application/json", `{"success":true,"result":{"series":"99","users":[`+strings.Join(users, ",")+`]}}`)
}

func TestDirectoryDigest(t *testing.T) {
	const (
		user = "api"
		pass = "Digest-Pw-123"
	)
	uuids := []string{"01234567-89AB-CDEF-0123-456789ABCDEF", "11234567-89AB-CDEF-0123-456789ABCDEF"}

	t.Run("authenticates POST with a JSON body", func(t *testing.T) {
		h := &dirGetHandler{}
		ds := newDigestServer(user, pass, h)
		srv := httptest.NewServer(ds)
		defer srv.Close()
		cfg := fastConfig(srv.URL)
		cfg.Directory = pbxapi.DirectoryConfig{Username: user, Password: pass, Auth: pbxapi.DirectoryAuthDigest}
		c := newClient(t, cfg)
		for i := range 3 {
			res, err := c.GetEntries(testCtx(t), uuids, []string{"name"})
			if err != nil {
				ds.mu.Lock()
				t.Fatalf("call %d: %v (server: %v)", i, err, ds.reasons)
			}
			if res.Series != "99" || len(res.Entries) != 2 || *res.Entries[1].Entry.Name != "N1" || res.Entries[1].Entry.Timestamp != 11 {
				t.Errorf("result %+v", res)
			}
		}
		if n := ds.authorized.Load(); n != 3 {
			t.Errorf("%d authorized requests, want 3", n)
		}
		// The challenge is learnt once and reused with increasing nc.
		if n := ds.challenges.Load(); n != 1 {
			t.Errorf("%d challenges, want 1", n)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, b := range h.bodies {
			assertJSONEqual(t, []byte(b), []byte(`{"fields":["name"],"users":[{"uuid":"`+uuids[0]+`"},{"uuid":"`+uuids[1]+`"}]}`))
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		ds := newDigestServer(user, pass, &dirGetHandler{})
		srv := httptest.NewServer(ds)
		defer srv.Close()
		cfg := fastConfig(srv.URL)
		cfg.Directory = pbxapi.DirectoryConfig{Username: user, Password: "wrong-" + leakPass, Auth: pbxapi.DirectoryAuthDigest}
		_, err := newClient(t, cfg).GetEntries(testCtx(t), uuids, nil)
		var ae *pbxapi.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "9" || !ae.IsAuth() {
			t.Fatalf("error %#v, want APIError 401 code 9", err)
		}
		if ds.authorized.Load() != 0 {
			t.Error("a wrong password was accepted")
		}
		if n := ds.challenges.Load(); n != 2 {
			t.Errorf("%d challenges, want 2 (no retries on 401)", n)
		}
		assertNoSecrets(t, "error", err.Error(), leakPass)
	})

	t.Run("wrong user", func(t *testing.T) {
		ds := newDigestServer(user, pass, &dirGetHandler{})
		srv := httptest.NewServer(ds)
		defer srv.Close()
		cfg := fastConfig(srv.URL)
		cfg.Directory = pbxapi.DirectoryConfig{Username: "nobody", Password: pass, Auth: pbxapi.DirectoryAuthDigest}
		_, err := newClient(t, cfg).GetEntries(testCtx(t), uuids, nil)
		var ae *pbxapi.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "9" {
			t.Fatalf("error %v", err)
		}
	})
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
			ds := newDigestServer(testUser, testPass, &dirGetHandler{})
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
			if res.Series != "99" || ds.authorized.Load() != 1 {
				t.Errorf("series %q, %d authorized", res.Series, ds.authorized.Load())
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
