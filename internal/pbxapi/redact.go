package pbxapi

import (
	"encoding/json"
	"strings"
)

// redactedText replaces a secret found in text taken from a device.
const redactedText = "[redacted]"

// minBareSecret is the shortest secret replaced wherever it occurs; shorter
// ones (a 3-digit SIP secret equal to the extension number, say) are replaced
// only where quoted, so that ordinary numbers in messages stay readable.
const minBareSecret = 6

// redactor removes known secrets from text the device sent back: an error
// page that echoes the request headers, or a message that quotes a value.
type redactor struct {
	secrets []string
}

// newRedactor collects the credentials of both APIs and the forms they
// travel in (Basic tokens, JSON-escaped strings).
func newRedactor(cfg Config, dir DirectoryConfig) redactor {
	var r redactor
	r.add(cfg.Password, cfg.APIKey, dir.Password)
	if cfg.Username != "" || cfg.Password != "" {
		r.add(strings.TrimPrefix(basicAuth(cfg.Username, cfg.Password), "Basic "))
	}
	if dir.Username != "" || dir.Password != "" {
		r.add(strings.TrimPrefix(basicAuth(dir.Username, dir.Password), "Basic "))
	}
	return r
}

func (r *redactor) add(secrets ...string) {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r.secrets = append(r.secrets, s)
		if b, err := json.Marshal(s); err == nil {
			if esc := string(b[1 : len(b)-1]); esc != s {
				r.secrets = append(r.secrets, esc)
			}
		}
	}
}

// scrub returns text without the client's secrets nor the extra ones (a
// user's SIP secret sent in this request).
func (r redactor) scrub(text string, extra ...string) string {
	all := r.secrets
	if len(extra) > 0 {
		x := redactor{secrets: append([]string(nil), r.secrets...)}
		x.add(extra...)
		all = x.secrets
	}
	for _, s := range all {
		if len(s) >= minBareSecret {
			text = strings.ReplaceAll(text, s, redactedText)
			continue
		}
		for _, q := range []string{"'", `"`} {
			text = strings.ReplaceAll(text, q+s+q, q+redactedText+q)
		}
	}
	return text
}
