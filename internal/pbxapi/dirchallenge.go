package pbxapi

// Parsing of WWW-Authenticate challenges (RFC 7235), for the directory client's authentication
// (dirauth.go).

import (
	"strings"

	"github.com/icholy/digest"
)

// challenge is one challenge of a WWW-Authenticate header.
type challenge struct {
	scheme string            // as the server spelt it
	params map[string]string // keys in lower case
}

func (c challenge) is(scheme string) bool { return strings.EqualFold(c.scheme, scheme) }

// describe names the challenge for an error message: the scheme, and for
// Digest what the client could not handle. Device text is sanitised.
func (c challenge) describe() string {
	s := printable(c.scheme, 30)
	if c.is("Digest") {
		var details []string
		if a := c.params["algorithm"]; a != "" {
			details = append(details, "algorithm "+printable(a, 30))
		}
		if q := c.params["qop"]; q != "" {
			details = append(details, "qop "+printable(q, 30))
		}
		if c.params["nonce"] == "" {
			details = append(details, "no nonce")
		}
		if len(details) > 0 {
			s += " (" + strings.Join(details, ", ") + ")"
		}
	}
	return s
}

// printable keeps the printable ASCII of s, at most n bytes of it.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			b.WriteString("…")
			break
		}
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// digestChallenge converts a Digest challenge for the digest package, or
// returns nil when the client cannot answer it.
func (c challenge) digestChallenge() *digest.Challenge {
	if !c.is("Digest") || c.params["nonce"] == "" {
		return nil
	}
	d := &digest.Challenge{
		Realm:     c.params["realm"],
		Domain:    strings.Fields(c.params["domain"]),
		Nonce:     c.params["nonce"],
		Opaque:    c.params["opaque"],
		Stale:     strings.EqualFold(c.params["stale"], "true"),
		Algorithm: c.params["algorithm"],
		Charset:   c.params["charset"],
		Userhash:  strings.EqualFold(c.params["userhash"], "true"),
	}
	for _, q := range strings.Split(c.params["qop"], ",") {
		if q = strings.TrimSpace(q); q != "" {
			d.QOP = append(d.QOP, q)
		}
	}
	if !digest.CanDigest(d) {
		return nil
	}
	return d
}

// parseChallenges parses WWW-Authenticate values (RFC 9110 §11.6.1): one or
// more headers, each with one or more comma-separated challenges of the form
// scheme [token68 | auth-param, ...]. Malformed parts are skipped.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		p := &authParser{s: v}
		cur := -1
		for {
			p.skip(" \t,")
			if p.done() {
				break
			}
			tok := p.token()
			if tok == "" {
				p.i++ // not a token character: skip it
				continue
			}
			p.skip(" \t")
			if cur >= 0 && p.peek() == '=' && p.peekAt(1) != '=' {
				p.i++
				p.skip(" \t")
				out[cur].params[strings.ToLower(tok)] = p.value()
				continue
			}
			out = append(out, challenge{scheme: tok, params: map[string]string{}})
			cur = len(out) - 1
			p.token68()
		}
	}
	return out
}

type authParser struct {
	s string
	i int
}

func (p *authParser) done() bool { return p.i >= len(p.s) }

func (p *authParser) peek() byte { return p.peekAt(0) }

func (p *authParser) peekAt(n int) byte {
	if p.i+n < len(p.s) {
		return p.s[p.i+n]
	}
	return 0
}

func (p *authParser) skip(set string) {
	for !p.done() && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// isTchar reports whether b is an RFC 9110 token character.
func isTchar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

func (p *authParser) token() string {
	start := p.i
	for !p.done() && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// token68 consumes a token68 credential after a scheme ("Negotiate abc=="):
// a run of token68 characters and padding that ends the challenge. Anything
// else (an auth-param) is left for the caller.
func (p *authParser) token68() {
	j := p.i
	for j < len(p.s) && isToken68(p.s[j]) {
		j++
	}
	if j == p.i {
		return
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	if j == len(p.s) || p.s[j] == ',' {
		p.i = j
	}
}

func isToken68(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", b) >= 0
}

// value reads a quoted-string (with backslash escapes) or a token.
func (p *authParser) value() string {
	if p.peek() != '"' {
		start := p.i
		for !p.done() && p.s[p.i] != ',' && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
			p.i++
		}
		return p.s[start:p.i]
	}
	p.i++
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String()
		case c == '\\' && !p.done():
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
