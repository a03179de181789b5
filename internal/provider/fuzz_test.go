package provider

// Fuzz tests of the plan-time check functions in validators.go. Each compares
// the check with an independent implementation of its contract and checks
// the properties every check shares: it never panics, an accepted value never
// contains a line break (it would reach the device's configuration files), and
// a rejection reason is one line (values are quoted in it).
//
// Seed corpora: testdata/fuzz/<FuzzName>/. Run one fuzzer with
//
//	go test -run '^$' -fuzz '^FuzzCheckIPMask$' -fuzztime 10s ./internal/provider/

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkCommon checks what holds for every check function: the reason of a
// rejection is a single line, and valid UTF-8 (values are %q-quoted).
func checkCommon(t *testing.T, s, reason string) {
	t.Helper()
	if strings.ContainsFunc(reason, unicode.IsControl) {
		t.Fatalf("%q: the reason holds a control character (a line break spans several lines): %q", s, reason)
	}
	if !utf8.ValidString(reason) {
		t.Fatalf("%q: the reason is not valid UTF-8: %q", s, reason)
	}
}

func noLineBreak(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\r\n") {
		t.Fatalf("%q was accepted but contains a line break", s)
	}
}

// dottedQuad parses a.b.c.d: four decimal octets 0-255 without leading
// zeros, written without the validator's helpers. It fails the test if the
// standard library's net.ParseIP disagrees about an IPv4 spelling.
func dottedQuad(t *testing.T, s string) (uint32, bool) {
	t.Helper()
	v, ok := parseDottedQuad(s)
	ip := net.ParseIP(s)
	if std := ip != nil && ip.To4() != nil && !strings.Contains(s, ":"); std != ok {
		t.Fatalf("%q: net.ParseIP says IPv4=%v, the contract says %v", s, std, ok)
	}
	return v, ok
}

func parseDottedQuad(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return 0, false
	}
	var v uint32
	for _, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return 0, false
		}
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		if n > 255 {
			return 0, false
		}
		v = v<<8 | uint32(n)
	}
	return v, true
}

// ipMaskContract: a.b.c.d/m.m.m.m, both dotted quads, the mask contiguous.
func ipMaskContract(t *testing.T, s string) bool {
	addr, mask, ok := strings.Cut(s, "/")
	_, addrOK := dottedQuad(t, addr)
	m, maskOK := dottedQuad(t, mask)
	// Contiguous: the inverted mask is 0…01…1.
	contiguous := maskOK && (^m)&(^m+1) == 0
	return ok && addrOK && maskOK && contiguous
}

// fuzzAgainstContract fuzzes a validator against an independent statement
// of what it must accept; an accepted value never holds a line break.
func fuzzAgainstContract(f *testing.F, check func(string) string, contract func(*testing.T, string) bool, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reason := check(s)
		checkCommon(t, s, reason)
		if got, want := reason == "", contract(t, s); got != want {
			t.Fatalf("validator(%q) accepted=%v (reason %q), want accepted=%v", s, got, reason, want)
		}
		if reason == "" {
			noLineBreak(t, s)
		}
	})
}

func FuzzCheckIPMask(f *testing.F) {
	fuzzAgainstContract(f, checkIPMask, ipMaskContract,
		"0.0.0.0/0.0.0.0", "192.168.1.0/255.255.255.0", "10.1.2.3/255.255.255.255", "10.0.0.0/8",
		"10.0.0.0/255.0.255.0", "::ffff:10.0.0.1/255.0.0.0", "10.0.0.1/255.255.255.0\n", "1.2.3.4/255.255.255.254/1",
		"010.0.0.1/255.0.0.0", "10.0.0.1/128.0.0.0")
}

// uuidContract is the directory's uuid: 8-4-4-4-12 hex digits, not all zero.
func uuidContract(s string) bool {
	if len(s) != 36 {
		return false
	}
	nonZero := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		}
		switch {
		case c == '0':
		case c >= '1' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			nonZero = true
		default:
			return false
		}
	}
	return nonZero
}

func FuzzCheckUUID(f *testing.F) {
	fuzzAgainstContract(f, checkUUID, func(_ *testing.T, s string) bool { return uuidContract(s) },
		"01234567-89AB-CDEF-0123-456789ABCDEF", "01234567-89ab-cdef-0123-456789abcdef", "00000000-0000-0000-0000-000000000000",
		"00000000-0000-0000-0000-000000000001", "76543210-68FF-18-3210-FEDCBA987654", "01234567-89AB-CDEF-0123-456789ABCDEF\n",
		"{01234567-89AB-CDEF-0123-456789ABCDEF}", "0123456789ABCDEF0123456789ABCDEF")
}

// groupsContract: empty, or comma-separated groups N or N-M, each one or two
// ASCII digits, 0-63, N <= M.
func groupsContract(s string) bool {
	if s == "" {
		return true
	}
	num := func(p string) (int, bool) {
		if len(p) < 1 || len(p) > 2 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		return n, n <= 63
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, ok := num(lo)
		if !ok {
			return false
		}
		if isRange {
			b, ok := num(hi)
			if !ok || b < a {
				return false
			}
		}
	}
	return true
}

func FuzzCheckGroups(f *testing.F) {
	fuzzAgainstContract(f, checkGroups, func(_ *testing.T, s string) bool { return groupsContract(s) },
		"", "1", "1,3-5,63", "64", "5-3", "1,,2", "0-63", "1-2-3", "1\n", "١")
}

// hostContract: "dynamic", a dotted-quad IPv4 address, or a DNS host name
// (labels of 1-63 letters, digits and inner hyphens, at most 253 characters)
// that is not made of digits and dots only (a malformed address).
func hostContract(t *testing.T, s string) bool {
	if s == "dynamic" {
		return true
	}
	if _, ok := dottedQuad(t, s); ok {
		return true
	}
	if s == "" || len(s) > 253 || strings.Trim(s, "0123456789.") == "" {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
			if !alnum && c != '-' {
				return false
			}
		}
	}
	return true
}

func FuzzCheckHost(f *testing.F) {
	fuzzAgainstContract(f, checkHost, hostContract,
		"dynamic", "192.168.1.10", "phone-1.example.com", "300.1.1.1", "a b", "-bad.example.com", "example.com.",
		"1.2.3", "dynamic\n", "::1")
}

// FuzzCheckMoreOptions: more_options is several lines by design, so the
// property is per line: every line that is not blank is key=value whose key
// is an option name (a letter, then letters, digits, _ or -), and a rejection
// names the first line that is not.
func FuzzCheckMoreOptions(f *testing.F) {
	isOptionName := func(k string) bool {
		for i, r := range k {
			letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
			tail := r >= '0' && r <= '9' || r == '_' || r == '-'
			if !letter && (i == 0 || !tail) {
				return false
			}
		}
		return k != ""
	}
	for _, s := range []string{
		"", "a=b\n\nc = d", "a=b\nnovalue", "=value", "  \n\t\n", "fromuser=reception\r\nlanguage=en", "a=b=c", "k=v\n =x",
		"[general]=x", "#exec /bin/sh=1", "1abc=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reason := checkMoreOptions(s)
		checkCommon(t, s, reason)
		if strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.Is(unicode.Cc, r) }) {
			if !strings.Contains(reason, "control character U+") {
				t.Fatalf("checkMoreOptions(%q) = %q, want the control character named", s, reason)
			}
			return
		}
		firstBad := 0
		for i, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if k, _, ok := strings.Cut(line, "="); !ok || !isOptionName(strings.TrimSpace(k)) {
				firstBad = i + 1
				break
			}
		}
		switch {
		case firstBad == 0 && reason != "":
			t.Fatalf("checkMoreOptions(%q) rejected valid lines: %q", s, reason)
		case firstBad != 0 && !strings.HasPrefix(reason, "line "+strconv.Itoa(firstBad)+" "):
			t.Fatalf("checkMoreOptions(%q) = %q, want a rejection of line %d", s, reason, firstBad)
		}
	})
}

// FuzzCheckText: the configuration's rule for text (noControl) rejects
// exactly the strings with a character of Unicode's category Cc, naming the
// first one by its code point, never writing it.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{
		"", "Alice", "علی\u200cرضا محمدی", "Recepce – hlavní vchod", "a\tb", "x\x1b@example.com", "Alice\u0085",
		"\x7f", "\u009f", "a\u2028b", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reason := checkText(s)
		checkCommon(t, s, reason)
		i := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cc, r) })
		switch {
		case i < 0 && reason != "":
			t.Fatalf("checkText(%q) rejected text without control characters: %q", s, reason)
		case i >= 0:
			r, _ := utf8.DecodeRuneInString(s[i:])
			if !strings.HasPrefix(reason, fmt.Sprintf("contains the control character U+%04X ", r)) {
				t.Fatalf("checkText(%q) = %q, want %U named", s, reason, r)
			}
		}
	})
}
