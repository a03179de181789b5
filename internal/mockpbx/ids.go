package mockpbx

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// objectIDSource issues MongoDB-style ObjectIds, as Simotel's MongoDB backend does:
// a 4-byte creation time, a 5-byte per-process random value and a 3-byte counter.
// The counter makes every id of one Server unique.
type objectIDSource struct {
	process [5]byte
	counter uint32
}

func newObjectIDSource(rng *mrand.Rand) objectIDSource {
	var src objectIDSource
	binary.BigEndian.PutUint32(src.process[:4], rng.Uint32())
	src.process[4] = byte(rng.Uint32())
	src.counter = rng.Uint32() & 0xffffff
	return src
}

// next returns a new 24-character lowercase hex id.
func (o *objectIDSource) next(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	copy(b[4:9], o.process[:])
	o.counter = (o.counter + 1) & 0xffffff
	b[9], b[10], b[11] = byte(o.counter>>16), byte(o.counter>>8), byte(o.counter)
	return hex.EncodeToString(b[:])
}

// isObjectID reports whether id is 24 lowercase hex digits.
func isObjectID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// newUUID returns an uppercase random (version 4) uuid, the form 2N devices generate.
func newUUID(rng *mrand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]))
}

// canonicalUUID validates a directory uuid (XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX, any hex
// case, not all zeros) and returns it uppercased.
func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	zero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			if c != '0' {
				zero = false
			}
		default:
			return "", false
		}
	}
	if zero {
		return "", false
	}
	return strings.ToUpper(s), true
}

// newSeries returns a random directory series: a uint64 as a decimal string.
func newSeries(rng *mrand.Rand) string {
	return strconv.FormatUint(rng.Uint64(), 10)
}

// randomToken returns an unpredictable token for Digest nonces and opaque values.
func randomToken() string {
	return rand.Text()
}
