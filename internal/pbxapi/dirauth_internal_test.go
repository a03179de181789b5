package pbxapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []challenge
	}{
		{"2N Basic", []string{`Basic realm="2N Intercom"`}, []challenge{{"Basic", map[string]string{"realm": "2N Intercom"}}}},
		{"RFC 7617 Basic with charset", []string{`Basic realm="x", charset="UTF-8"`}, []challenge{{"Basic", map[string]string{"realm": "x", "charset": "UTF-8"}}}},
		{"Digest", []string{`Digest realm="2N", qop="auth,auth-int", nonce="abc", opaque="o", algorithm=MD5, stale=FALSE`},
			[]challenge{{"Digest", map[string]string{"realm": "2N", "qop": "auth,auth-int", "nonce": "abc", "opaque": "o", "algorithm": "MD5", "stale": "FALSE"}}}},
		{"two headers", []string{`Digest realm="a", nonce="n"`, `Basic realm="b"`},
			[]challenge{{"Digest", map[string]string{"realm": "a", "nonce": "n"}}, {"Basic", map[string]string{"realm": "b"}}}},
		{"two challenges in one header", []string{`Basic realm="b", Digest realm="a", nonce="n"`},
			[]challenge{{"Basic", map[string]string{"realm": "b"}}, {"Digest", map[string]string{"realm": "a", "nonce": "n"}}}},
		{"bare scheme, then Basic", []string{`Negotiate, Basic realm="x"`},
			[]challenge{{"Negotiate", map[string]string{}}, {"Basic", map[string]string{"realm": "x"}}}},
		{"token68, then Basic", []string{`Negotiate YIIBzgYG+KwYB/BQ==, Basic realm="x"`},
			[]challenge{{"Negotiate", map[string]string{}}, {"Basic", map[string]string{"realm": "x"}}}},
		{"escapes, commas and spaces in quotes", []string{`Basic realm = "a \"b\", c"`}, []challenge{{"Basic", map[string]string{"realm": `a "b", c`}}}},
		{"lower-case scheme and keys", []string{`digest REALM="r", Nonce=n`}, []challenge{{"digest", map[string]string{"realm": "r", "nonce": "n"}}}},
		{"unterminated quote", []string{`Basic realm="x`}, []challenge{{"Basic", map[string]string{"realm": "x"}}}},
		{"empty", []string{""}, nil},
		{"no header", nil, nil},
		{"garbage", []string{`=,="",@@ ,`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseChallenges(tc.values); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseChallenges(%q)\n got %#v\nwant %#v", tc.values, got, tc.want)
			}
		})
	}
}

// TestDecideAuth is the decision table itself: challenge × connection ×
// setting → the scheme that answers, or why none does.
func TestDecideAuth(t *testing.T) {
	const (
		basicCh    = `Basic realm="2N Intercom"`
		digestCh   = `Digest realm="2N Intercom", qop="auth", nonce="n", algorithm=MD5`
		sha256Ch   = `Digest realm="2N Intercom", qop="auth", nonce="n", algorithm=SHA-256`
		sha1Ch     = `Digest realm="2N Intercom", qop="auth", nonce="n", algorithm=SHA-1`
		noNonceCh  = `Digest realm="2N Intercom", qop="auth"`
		authIntCh  = `Digest realm="2N Intercom", qop="auth-int", nonce="n"`
		badQopCh   = `Digest realm="2N Intercom", qop="x-other", nonce="n"`
		ntlmCh     = `NTLM`
		digestNoQ  = `Digest realm="2N Intercom", nonce="n"`
		bothInOne  = basicCh + ", " + digestCh
		unanswered = schemeNone
	)
	auto, basic, digestSetting := DirectoryAuthAuto, DirectoryAuthBasic, DirectoryAuthDigest
	tests := []struct {
		challenges []string
		setting    DirectoryAuth
		secure     bool
		scheme     authScheme
		why        refusal
	}{
		// Basic only.
		{[]string{basicCh}, auto, false, unanswered, refuseBasicOverHTTP},
		{[]string{basicCh}, auto, true, schemeBasic, refuseNothing},
		{[]string{basicCh}, basic, false, schemeBasic, refuseNothing},
		{[]string{basicCh}, basic, true, schemeBasic, refuseNothing},
		{[]string{basicCh}, digestSetting, false, unanswered, refuseBasicForDigest},
		{[]string{basicCh}, digestSetting, true, unanswered, refuseBasicForDigest},
		// Digest only, in the variants the client answers.
		{[]string{digestCh}, auto, false, schemeDigest, refuseNothing},
		{[]string{digestCh}, basic, false, schemeDigest, refuseNothing},
		{[]string{digestCh}, digestSetting, true, schemeDigest, refuseNothing},
		{[]string{sha256Ch}, auto, false, schemeDigest, refuseNothing},
		{[]string{authIntCh}, auto, false, schemeDigest, refuseNothing},
		{[]string{digestNoQ}, auto, false, schemeDigest, refuseNothing},
		// Both: Digest, whatever the order and the setting.
		{[]string{basicCh, digestCh}, auto, false, schemeDigest, refuseNothing},
		{[]string{basicCh, digestCh}, auto, true, schemeDigest, refuseNothing},
		{[]string{digestCh, basicCh}, basic, true, schemeDigest, refuseNothing},
		{[]string{bothInOne}, auto, false, schemeDigest, refuseNothing},
		{[]string{bothInOne}, digestSetting, false, schemeDigest, refuseNothing},
		// Digest the client cannot answer: as if only the rest were offered.
		{[]string{sha1Ch}, auto, true, unanswered, refuseUnsupported},
		{[]string{noNonceCh}, auto, true, unanswered, refuseUnsupported},
		{[]string{badQopCh}, digestSetting, true, unanswered, refuseUnsupported},
		{[]string{sha1Ch, basicCh}, auto, false, unanswered, refuseBasicOverHTTP},
		{[]string{sha1Ch, basicCh}, auto, true, schemeBasic, refuseNothing},
		{[]string{sha1Ch, basicCh}, digestSetting, true, unanswered, refuseBasicForDigest},
		// Other schemes.
		{[]string{ntlmCh}, auto, true, unanswered, refuseUnsupported},
		{[]string{ntlmCh}, basic, false, unanswered, refuseUnsupported},
		{[]string{ntlmCh, basicCh}, auto, false, unanswered, refuseBasicOverHTTP},
		{[]string{ntlmCh, digestCh}, digestSetting, false, schemeDigest, refuseNothing},
		// No challenge: the 401 is the device's answer.
		{nil, auto, false, unanswered, refuseNothing},
		{nil, digestSetting, true, unanswered, refuseNothing},
		{nil, basic, false, unanswered, refuseNothing},
	}
	for _, tc := range tests {
		scheme, chal, why := decideAuth(tc.setting, tc.secure, parseChallenges(tc.challenges))
		if scheme != tc.scheme || why != tc.why || (chal != nil) != (scheme == schemeDigest) {
			t.Errorf("%s, secure %v, %q: scheme %v, refusal %d, challenge %v; want %v, %d",
				tc.setting, tc.secure, tc.challenges, scheme, why, chal, tc.scheme, tc.why)
		}
		if chal != nil && chal.Nonce != "n" {
			t.Errorf("%q: nonce %q", tc.challenges, chal.Nonce)
		}
	}
}

// TestDirAuthTransportReplaysBodyWithoutGetBody: a request whose body cannot
// be re-read (no GetBody) is buffered, so that the answer to the challenge
// carries the same body.
func TestDirAuthTransportReplaysBodyWithoutGetBody(t *testing.T) {
	const body = `{"users":[{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF"}]}`
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("Authorization")[:min(7, len(r.Header.Get("Authorization")))]+string(b))
		mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Digest ") {
			w.Header().Set("WWW-Authenticate", `Digest realm="2N", qop="auth", nonce="n1"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	rt, err := newDirTransport(DirectoryConfig{Username: "u", Password: "p", Auth: DirectoryAuthAuto}, strings.TrimPrefix(srv.URL, "http://"), http.DefaultTransport, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/dir/get", io.NopCloser(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	if req.GetBody != nil {
		t.Fatal("the test needs a request without GetBody")
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	want := []string{body, "Digest " + body}
	if resp.StatusCode != http.StatusOK || !reflect.DeepEqual(got, want) {
		t.Errorf("status %d, server saw %q, want %q", resp.StatusCode, got, want)
	}
}
