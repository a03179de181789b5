package mockpbx

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// challengeParams parses a WWW-Authenticate Digest header with a deliberately simple parser
// (the test must not trust the server's own).
func challengeParams(t *testing.T, header string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(header, "Digest ")
	if !ok {
		t.Fatalf("challenge %q is not Digest", header)
	}
	out := map[string]string{}
	for part := range strings.SplitSeq(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		out[k] = strings.Trim(v, `"`)
	}
	return out
}

// digestAuthorization computes an RFC 7616 MD5 qop=auth answer by hand.
func digestAuthorization(user, pass, method, uri string, ch map[string]string, nc int, cnonce string) string {
	h := func(s string) string {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	ha1 := h(user + ":" + ch["realm"] + ":" + pass)
	ha2 := h(method + ":" + uri)
	ncs := fmt.Sprintf("%08x", nc)
	resp := h(ha1 + ":" + ch["nonce"] + ":" + ncs + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"`,
		user, ch["realm"], ch["nonce"], uri, ncs, cnonce, resp, ch["opaque"])
}

func TestDirDigestAuth(t *testing.T) {
	s, ts := newMock(t, Config{
		DirAuth: "digest", DirUsername: "admin", DirPassword: "2n",
		Directory: []map[string]any{{"uuid": seedUUID, "name": "ABCD"}},
	})
	const uri = "/api/dir/get"
	const body = `{"users":[{"uuid":"` + seedUUID + `"}]}`
	post := func(authorization string) response {
		t.Helper()
		headers := []string{"Content-Type: application/json"}
		if authorization != "" {
			headers = append(headers, "Authorization: "+authorization)
		}
		return send(t, http.MethodPost, ts.URL+uri, body, headers...)
	}
	expectAuthError := func(what string, r response, code int, stale bool) map[string]string {
		t.Helper()
		reply := decodeDir(t, r.body)
		if r.status != http.StatusUnauthorized || reply.Error == nil || reply.Error.Code != code {
			t.Fatalf("%s: HTTP %d %s, want 401 with code %d", what, r.status, r.body, code)
		}
		ch := challengeParams(t, r.header.Get("WWW-Authenticate"))
		if (ch["stale"] == "true") != stale {
			t.Errorf("%s: challenge %v, want stale=%v", what, ch, stale)
		}
		return ch
	}
	expectOK := func(what string, r response) {
		t.Helper()
		if reply := decodeDir(t, r.body); r.status != http.StatusOK || !reply.Success {
			t.Fatalf("%s: HTTP %d %s", what, r.status, r.body)
		}
	}

	ch := expectAuthError("no credentials", post(""), 9, false)
	if ch["realm"] != "2N Intercom" || ch["qop"] != "auth" || ch["algorithm"] != "MD5" || ch["nonce"] == "" || ch["opaque"] == "" {
		t.Fatalf("challenge %v", ch)
	}
	expectOK("nc 1", post(digestAuthorization("admin", "2n", "POST", uri, ch, 1, "c1")))
	expectOK("nonce reuse, nc 3", post(digestAuthorization("admin", "2n", "POST", uri, ch, 3, "c1")))
	expectOK("nonce reuse, nc 2 after 3", post(digestAuthorization("admin", "2n", "POST", uri, ch, 2, "c1")))
	expectAuthError("replayed nc", post(digestAuthorization("admin", "2n", "POST", uri, ch, 2, "c1")), 9, true)
	expectAuthError("wrong password", post(digestAuthorization("admin", "2N", "POST", uri, ch, 4, "c1")), 9, false)
	expectAuthError("wrong user", post(digestAuthorization("root", "2n", "POST", uri, ch, 5, "c1")), 9, false)
	expectAuthError("wrong uri", post(digestAuthorization("admin", "2n", "POST", "/api/dir/query", ch, 6, "c1")), 9, false)
	expectAuthError("wrong method", post(digestAuthorization("admin", "2n", "PUT", uri, ch, 7, "c1")), 9, false)
	unknown := map[string]string{"realm": ch["realm"], "nonce": "not-issued-here", "opaque": ch["opaque"]}
	expectAuthError("unknown nonce", post(digestAuthorization("admin", "2n", "POST", uri, unknown, 1, "c1")), 9, true)
	sha := strings.Replace(digestAuthorization("admin", "2n", "POST", uri, ch, 8, "c2"), "algorithm=MD5", "algorithm=SHA-256", 1)
	expectAuthError("SHA-256 answer to an MD5 challenge", post(sha), 9, false)
	expectAuthError("Basic on a Digest device", post("Basic YWRtaW46Mm4="), 8, false)
	expectAuthError("garbage", post(`Digest username="admin", realm`), 9, false)

	s.mu.Lock()
	s.now = func() time.Time { return time.Now().Add(nonceLifetime + time.Minute) }
	s.mu.Unlock()
	fresh := expectAuthError("expired nonce", post(digestAuthorization("admin", "2n", "POST", uri, ch, 9, "c1")), 9, true)
	expectOK("fresh nonce", post(digestAuthorization("admin", "2n", "POST", uri, fresh, 1, "c3")))
}

func TestDirBasicAndNoAuth(t *testing.T) {
	_, ts := newMock(t, Config{DirAuth: "basic"}) // credentials default to Accounts[0]: test / Aa123456
	url := ts.URL + "/api/dir/template"
	tests := []struct {
		name   string
		header string
		status int
		code   int
	}{
		{"right credentials", "Authorization: Basic dGVzdDpBYTEyMzQ1Ng==", 200, 0},
		{"no credentials", "", 401, 9},
		{"wrong password", "Authorization: Basic dGVzdDp4", 401, 9},
		{"Digest on a Basic device", `Authorization: Digest username="test"`, 401, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.header != "" {
				headers = append(headers, tc.header)
			}
			r := send(t, http.MethodGet, url, "", headers...)
			reply := decodeDir(t, r.body)
			if r.status != tc.status || (reply.Error == nil) != (tc.code == 0) || (reply.Error != nil && reply.Error.Code != tc.code) {
				t.Errorf("HTTP %d %s, want %d code %d", r.status, r.body, tc.status, tc.code)
			}
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Basic realm="2N Intercom"`) {
				t.Errorf("challenge %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	_, open := newMock(t, Config{DirAuth: "none"})
	for _, h := range [][]string{nil, {"Authorization: Basic Zm9vOmJhcg=="}} {
		if r := send(t, http.MethodGet, open.URL+"/api/dir/template", "", h...); r.status != 200 || !decodeDir(t, r.body).Success {
			t.Errorf("none mode with %v: HTTP %d %s", h, r.status, r.body)
		}
	}
}

func TestParseAuthParams(t *testing.T) {
	got, ok := parseAuthParams(`username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
		`algorithm=SHA-256, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
		`response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", x="a \"quoted\" \\ value"`)
	if !ok {
		t.Fatal("RFC 7616 example not parsed")
	}
	want := map[string]string{
		"username": "Mufasa", "realm": "http-auth@example.org", "uri": "/dir/index.html", "algorithm": "SHA-256",
		"nc": "00000001", "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "qop": "auth",
		"response": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		"opaque":   "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", "x": `a "quoted" \ value`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{`username`, `username="open`, `=x`} {
		if _, ok := parseAuthParams(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestDigestRFC7616Example checks the server's verification against the worked MD5 example
// of RFC 7616 section 3.9.1 (password "Circle of Life").
func TestDigestRFC7616Example(t *testing.T) {
	s, err := New(Config{
		Accounts: []Account{{Username: "Mufasa", Password: "Circle of Life", APIKey: "k"}},
		DirRealm: "http-auth@example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	s.opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
	params, _ := parseAuthParams(`username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ` +
		`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ` +
		`qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)
	r, _ := http.NewRequest(http.MethodGet, "http://example.org/dir/index.html", nil)
	r.RequestURI = "/dir/index.html"
	if !s.digestResponseValid(r, params) {
		t.Error("RFC 7616 MD5 example rejected")
	}
	params["response"] = strings.Repeat("0", 32)
	if s.digestResponseValid(r, params) {
		t.Error("wrong response accepted")
	}
}
