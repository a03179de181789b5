package mockpbx

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// nonceLifetime is how long a Digest nonce stays valid; an older one gets stale=true.
const nonceLifetime = 5 * time.Minute

// nonceInfo tracks one issued nonce: when, and which nonce-counts were already used.
type nonceInfo struct {
	issued time.Time
	used   map[string]bool
}

// dirAuthorized applies Config.DirAuth. On failure it writes the 401 reply (with a challenge)
// and returns false.
func (s *Server) dirAuthorized(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	switch s.cfg.DirAuth {
	case "none":
		return true
	case "basic":
		return s.basicAuthorized(w, r, endpoint)
	}
	return s.digestAuthorized(w, r, endpoint)
}

// authScheme returns the lower-case scheme and the rest of an Authorization header.
func authScheme(h string) (string, string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	return strings.ToLower(scheme), rest
}

// writeAuthFailure counts the challenge and answers it.
func (s *Server) writeAuthFailure(w http.ResponseWriter, endpoint, challenge string, code int) {
	s.challenged(endpoint)
	w.Header().Set("WWW-Authenticate", challenge)
	writeDirError(w, http.StatusUnauthorized, code, "")
}

func (s *Server) basicAuthorized(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	// RFC 2617, as 2N documents it: the realm only (no RFC 7617 charset).
	challenge := fmt.Sprintf(`Basic realm="%s"`, s.cfg.DirRealm)
	h := r.Header.Get("Authorization")
	if scheme, _ := authScheme(h); h != "" && scheme != "basic" {
		s.writeAuthFailure(w, endpoint, challenge, 8)
		return false
	}
	username, password, ok := r.BasicAuth()
	if ok && secureEqual(username, s.cfg.DirUsername) && secureEqual(password, s.cfg.DirPassword) {
		return true
	}
	s.writeAuthFailure(w, endpoint, challenge, 9)
	return false
}

func (s *Server) digestAuthorized(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	h := r.Header.Get("Authorization")
	scheme, rest := authScheme(h)
	switch {
	case h == "":
		s.writeAuthFailure(w, endpoint, s.digestChallenge(false), 9)
		return false
	case scheme != "digest":
		s.writeAuthFailure(w, endpoint, s.digestChallenge(false), 8)
		return false
	}
	params, ok := parseAuthParams(rest)
	if !ok || !s.digestResponseValid(r, params) {
		s.writeAuthFailure(w, endpoint, s.digestChallenge(false), 9)
		return false
	}
	if !s.useNonce(params["nonce"], params["nc"]) {
		s.writeAuthFailure(w, endpoint, s.digestChallenge(true), 9)
		return false
	}
	return true
}

// digestChallenge issues a new nonce and returns the WWW-Authenticate value: MD5 with
// qop=auth, what 2N devices announce, so that is the only answer a client may give.
func (s *Server) digestChallenge(stale bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for n, info := range s.nonces {
		if now.Sub(info.issued) > nonceLifetime {
			delete(s.nonces, n)
		}
	}
	nonce := randomToken()
	s.nonces[nonce] = &nonceInfo{issued: now, used: map[string]bool{}}
	c := fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", opaque="%s", algorithm=MD5`, s.cfg.DirRealm, nonce, s.opaque)
	if stale {
		c += ", stale=true"
	}
	return c
}

// useNonce accepts a nonce this server issued less than nonceLifetime ago with a
// nonce-count not used before with it. Counts need not arrive in order: concurrent requests
// of one client reuse a nonce and can overtake each other.
func (s *Server) useNonce(nonce, nc string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.nonces[nonce]
	nc = strings.ToLower(nc)
	if info == nil || s.now().Sub(info.issued) > nonceLifetime || info.used[nc] {
		return false
	}
	info.used[nc] = true
	return true
}

// digestResponseValid checks the credentials of an RFC 7616 MD5 qop=auth answer, everything
// but the nonce's freshness.
func (s *Server) digestResponseValid(r *http.Request, p map[string]string) bool {
	h := func(parts ...string) string {
		sum := md5.Sum([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(sum[:])
	}
	switch {
	case !strings.EqualFold(p["algorithm"], "MD5") && p["algorithm"] != "",
		p["realm"] != s.cfg.DirRealm, p["nonce"] == "", !secureEqual(p["username"], s.cfg.DirUsername),
		p["uri"] != r.RequestURI && p["uri"] != r.URL.RequestURI(),
		p["opaque"] != s.opaque, p["qop"] != "auth", len(p["nc"]) != 8, p["cnonce"] == "":
		return false
	}
	ha1 := h(s.cfg.DirUsername, s.cfg.DirRealm, s.cfg.DirPassword)
	want := h(ha1, p["nonce"], p["nc"], p["cnonce"], "auth", h(r.Method, p["uri"]))
	return secureEqual(strings.ToLower(p["response"]), want)
}

// parseAuthParams parses the comma-separated auth-params of a Digest header:
// key=token or key="quoted string" (backslash escapes). Keys are lower-cased.
func parseAuthParams(s string) (map[string]string, bool) {
	params := map[string]string{}
	i := 0
	skip := func(set string) {
		for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
			i++
		}
	}
	for {
		skip(" \t,")
		if i >= len(s) {
			return params, true
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' {
			i++
		}
		key := strings.ToLower(strings.TrimSpace(s[start:i]))
		if i >= len(s) || s[i] != '=' || key == "" {
			return nil, false
		}
		i++
		skip(" \t")
		var value strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				value.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			i++
		} else {
			start = i
			for i < len(s) && s[i] != ',' {
				i++
			}
			value.WriteString(strings.TrimSpace(s[start:i]))
		}
		params[key] = value.String()
	}
}
