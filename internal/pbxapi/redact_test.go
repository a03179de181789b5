package pbxapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactorScrub(t *testing.T) {
	r := newRedactor(Config{Username: "admin", Password: `pa"ss-word-1`, APIKey: "api-key-123456"},
		DirectoryConfig{Username: "dir", Password: "dir-password-9"})
	cases := []struct {
		name, text, extra, leak, keep string
	}{
		{"api key in an echoed header", "X-APIKEY: api-key-123456", "", "api-key-123456", "X-APIKEY: "},
		{"basic token", "Authorization: Basic YWRtaW46cGEic3Mtd29yZC0x", "", "YWRtaW46cGEic3Mtd29yZC0x", "Authorization: Basic "},
		{"directory basic token", "Basic ZGlyOmRpci1wYXNzd29yZC05", "", "ZGlyOmRpci1wYXNzd29yZC05", "Basic "},
		{"json-escaped password", `{"password":"pa\"ss-word-1"}`, "", `pa\"ss-word-1`, `"password"`},
		{"directory password", "bad password dir-password-9", "", "dir-password-9", "bad password"},
		{"long user secret", "Field 'secret':value 's1p-secret' is invalid", "s1p-secret", "s1p-secret", "Field 'secret'"},
		{"short secret only where quoted", "number 909: Field 'secret':value '909' is invalid", "909", "'909'", "number 909"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var extra []string
			if c.extra != "" {
				extra = []string{c.extra}
			}
			got := r.scrub(c.text, extra...)
			if strings.Contains(got, c.leak) {
				t.Errorf("scrub(%q) = %q: still contains %q", c.text, got, c.leak)
			}
			if !strings.Contains(got, c.keep) || !strings.Contains(got, redactedText) {
				t.Errorf("scrub(%q) = %q: want %q kept and the secret replaced by %s", c.text, got, c.keep, redactedText)
			}
		})
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 100) // 2 bytes each
	for n := 1; n < 12; n++ {
		got := truncate(s, n)
		if !utf8.ValidString(got) || len(got) > n+len("…") {
			t.Fatalf("truncate(_, %d) = %q: invalid UTF-8 or too long", n, got)
		}
	}
	if truncate("short", 10) != "short" {
		t.Fatal("a short string was changed")
	}
}
