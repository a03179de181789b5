package provider

import (
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	cases := []struct {
		name  string
		check func(string) string
		value string
		want  string // "" = valid, else a substring of the reason
	}{
		{"ipmask default", checkIPMask, "0.0.0.0/0.0.0.0", ""},
		{"ipmask /24", checkIPMask, "192.168.1.0/255.255.255.0", ""},
		{"ipmask host", checkIPMask, "10.1.2.3/255.255.255.255", ""},
		{"ipmask no mask", checkIPMask, "10.1.2.3", "no /MASK"},
		{"ipmask prefix length", checkIPMask, "10.0.0.0/8", "invalid netmask"},
		{"ipmask bad ip", checkIPMask, "10.0.0/255.0.0.0", "invalid IPv4 address"},
		{"ipmask ipv6", checkIPMask, "::1/255.0.0.0", "invalid IPv4 address"},
		{"ipmask holes", checkIPMask, "10.0.0.0/255.0.255.0", "non-contiguous"},
		{"uuid seed", checkUUID, "01234567-89AB-CDEF-0123-456789ABCDEF", ""},
		{"uuid lower", checkUUID, "01234567-89ab-cdef-0123-456789abcdef", ""},
		{"uuid zero", checkUUID, "00000000-0000-0000-0000-000000000000", "not a valid"},
		{"uuid short group", checkUUID, "76543210-68FF-18-3210-FEDCBA987654", "not a valid"},
		{"uuid non hex", checkUUID, "0123456G-89AB-CDEF-0123-456789ABCDEF", "not a valid"},
		{"groups empty", checkGroups, "", ""},
		{"groups list", checkGroups, "1,3-5,63", ""},
		{"groups too high", checkGroups, "64", "out-of-range"},
		{"groups reversed", checkGroups, "5-3", "out-of-range"},
		{"groups junk", checkGroups, "a", "invalid group"},
		{"host dynamic", checkHost, "dynamic", ""},
		{"host ip", checkHost, "192.168.1.10", ""},
		{"host name", checkHost, "phone-1.example.com", ""},
		{"host bad ip", checkHost, "300.1.1.1", "not valid"},
		{"host space", checkHost, "a b", "not valid"},
		{"more options", checkMoreOptions, "a=b\n\nc = d", ""},
		{"more options bad", checkMoreOptions, "a=b\nnovalue", "line 2"},
		{"more options section", checkMoreOptions, "[evil]=x", "not an option name"},
		{"more options directive", checkMoreOptions, "#exec /bin/sh=1", "not an option name"},
		{"more options CRLF", checkMoreOptions, "a=b\r\nc=d", "control character U+000D (CR) at character 4"},
		{"more options NEL", checkMoreOptions, "a=b\u0085", "control character U+0085 (NEL)"},
		{"text persian with ZWNJ", checkText, "علی\u200cرضا محمدی", ""},
		{"text czech", checkText, "Recepce – hlavní vchod", ""},
		{"text no-break space", checkText, "a\u00a0b", ""},
		{"text tab", checkText, "a\tb", "control character U+0009 (HT) at character 2"},
		{"text line feed", checkText, "a\n", "control character U+000A (LF) at character 2"},
		{"text ESC", checkText, "x\x1b@example.com", "control character U+001B (ESC) at character 2"},
		{"text NUL", checkText, "\x00", "control character U+0000 (NUL) at character 1"},
		{"text DEL", checkText, "\x7f", "control character U+007F (DEL)"},
		{"text NEL", checkText, "Alice\u0085", "control character U+0085 (NEL) at character 6"},
		{"text APC", checkText, "\u009f", "control character U+009F (APC)"},
		{"url", checkURL, "https://pbx.example.com", ""},
		{"url scheme", checkURL, "ftp://pbx", "http"},
		{"url credentials", checkURL, "https://u:p@pbx", "credentials"},
		{"url unparsable", checkURL, "http://pbx.example:port/", `"http://pbx.example:port/" is not a URL`},
		{"duration", checkDuration, "30s", ""},
		{"duration negative", checkDuration, "-1s", "not a positive"},
		{"pem", checkPEM, "nope", "no PEM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.check(c.value)
			switch {
			case c.want == "" && got != "":
				t.Errorf("%q: unexpected error %q", c.value, got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("%q: got %q, want it to contain %q", c.value, got, c.want)
			}
		})
	}
}

func TestCredentialsURLNotEchoed(t *testing.T) {
	if got := checkURL("https://admin:hunter2@pbx"); strings.Contains(got, "hunter2") {
		t.Fatalf("validator echoes the password: %s", got)
	}
}
