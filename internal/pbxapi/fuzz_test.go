package pbxapi

// Fuzz tests of the decoders. Seeds: the f.Add calls below and the committed
// corpus in testdata/fuzz/<FuzzName>/ (which includes the golden fixtures).

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzUserUnmarshal: User.UnmarshalJSON never panics, and what it accepts
// survives an encode/decode round trip (minus the read-only fields).
func FuzzUserUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"_id":{"$oid":"603b41443e14270c550bf15a"},"number":101,"port":5060,"active":true}`,
		`{"_id":null,"forward_policy":{"Busy":571,"No Answer":null}}`,
		`{"forward_policy":""}`,
		`{"forward_policy":[]}`,
		`{"name":{"x":1}}`,
		`[]`,
		`null`,
		`{"cid_number":12345678901234567890,"callgroup":1e3,"call_limit":-0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u User
		if err := json.Unmarshal(data, &u); err != nil {
			return
		}
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", u, err)
		}
		var again User
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("decoding the re-encoded user %s: %v", b, err)
		}
		u.Description, u.Date = "", "" // read-only, never sent
		if again != u {
			t.Fatalf("round trip changed the user\n in: %+v\nout: %+v", u, again)
		}
	})
}

// FuzzDecodeEntryResult: decodeEntry never panics and its result is
// consistent: either an error, or an entry, or a per-entry error.
func FuzzDecodeEntryResult(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"01234567-89AB-CDEF-0123-456789ABCDEF","name":"ABCD","email":"abcd@abcd.cz","callPos":[{"peer":""},{"peer":"","grouped":"false"},{"peer":""}],"timestamp":39}`,
		`{"uuid":"76543210-68FF-18CA-3210-FEDCBA987654","errors":[{"code":"EDIR_UUID_DOES_NOT_EXIST"}]}`,
		`{"uuid":"76543210-68FF-18-3210-FEDCBA987654","errors":[{"code":"EDIR_UUID_INVALID_FORMAT"}]}`,
		`{"uuid":1,"timestamp":"39","callPos":[{"grouped":1},{"grouped":true}]}`,
		`{"errors":null}`,
		`{"timestamp":9223372036854775808}`,
		`null`,
		`"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		er, err := decodeEntry(json.RawMessage(data))
		if err != nil {
			return
		}
		switch {
		case er.Err != nil:
			var ee *EntryError
			if !errors.As(er.Err, &ee) || ee.UUID != er.UUID || len(ee.Codes) == 0 || er.Raw != nil {
				t.Fatalf("inconsistent per-entry error: %+v", er)
			}
			if errors.Is(er.Err, ErrNotFound) != containsCode(ee.Codes, CodeUUIDDoesNotExist) {
				t.Fatalf("ErrNotFound mapping wrong for %v", ee.Codes)
			}
			if errors.Is(er.Err, ErrInvalidUUID) != containsCode(ee.Codes, CodeUUIDInvalidFormat) {
				t.Fatalf("ErrInvalidUUID mapping wrong for %v", ee.Codes)
			}
		case len(er.Raw) == 0:
			t.Fatalf("found entry without its data: %+v", er)
		default:
			// The managed model and the JSON views never panic either.
			_, _ = er.Fields()
			_, _ = er.PublicJSON()
		}
	})
}

func containsCode(codes []string, c string) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// FuzzSuccessFlag: only 1/true and 0/false (surrounding space allowed) are
// understood; everything else is an error, and nothing panics.
func FuzzSuccessFlag(f *testing.F) {
	for _, s := range []string{"1", "0", "true", "false", `"1"`, `{"a":1}`, "", " 1 ", "null", "2", "1.0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ok, err := successFlag(json.RawMessage(data))
		v := strings.TrimSpace(string(data))
		switch v {
		case "1", "true":
			if !ok || err != nil {
				t.Fatalf("%q: %v %v", data, ok, err)
			}
		case "0", "false":
			if ok || err != nil {
				t.Fatalf("%q: %v %v", data, ok, err)
			}
		default:
			if ok || err == nil {
				t.Fatalf("%q accepted: %v %v", data, ok, err)
			}
			if len(err.Error()) > 100 {
				t.Fatalf("error not truncated: %d bytes", len(err.Error()))
			}
		}
	})
}

// referenceValidUUID is an independent statement of the 2N uuid format.
func referenceValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	zero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		isHex := ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
		if !isHex {
			return false
		}
		zero = zero && c == '0'
	}
	return !zero
}

func FuzzValidUUID(f *testing.F) {
	for _, s := range []string{
		"01234567-89AB-CDEF-0123-456789ABCDEF",
		"76543210-68FF-18CA-3210-FEDCBA987654",
		"76543210-68FF-18-3210-FEDCBA987654",
		"00000000-0000-0000-0000-000000000000",
		"01234567-89ab-cdef-0123-456789abcdef",
		"01234567-89AB-CDEF-0123-456789ABCDEF\n",
		"0123456789ABCDEF0123456789ABCDEF0123",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidUUID(s), referenceValidUUID(s); got != want {
			t.Fatalf("ValidUUID(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestDecoderHelpers pins the small lenient decoders.
func TestDecoderHelpers(t *testing.T) {
	for in, want := range map[string]string{
		`"a"`: "a", `null`: "", `true`: "yes", `false`: "no", `5060`: "5060", `-7`: "-7",
		`12345678901234567890`: "12345678901234567890", `1.5`: "1.5", `1e3`: "1000", ` 42 `: "42",
	} {
		if got, err := scalarString(json.RawMessage(in)); err != nil || got != want {
			t.Errorf("scalarString(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`{}`, `[]`, ``, `{`} {
		if _, err := scalarString(json.RawMessage(in)); err == nil {
			t.Errorf("scalarString(%s) accepted", in)
		}
	}
	for in, want := range map[string]bool{`true`: true, `false`: false, `"true"`: true, `"false"`: false, `1`: true, `0`: false} {
		if got, err := flexBool(json.RawMessage(in)); err != nil || got != want {
			t.Errorf("flexBool(%s) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{`2`, `"yes"`, `null`, `{}`, `x`} {
		if _, err := flexBool(json.RawMessage(in)); err == nil {
			t.Errorf("flexBool(%s) accepted", in)
		}
	}
	for in, want := range map[string]int64{`39`: 39, `"39"`: 39, `0`: 0, `-1`: -1} {
		if got, err := flexInt(json.RawMessage(in)); err != nil || got != want {
			t.Errorf("flexInt(%s) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{`1.5`, `"x"`, `null`, `9223372036854775808`} {
		if _, err := flexInt(json.RawMessage(in)); err == nil {
			t.Errorf("flexInt(%s) accepted", in)
		}
	}
	if got := redact("http://u:p w@h:x/"); strings.Contains(got, "p w") {
		t.Errorf("redact kept the password: %q", got)
	}
	if got := redact("http://u:pw@h/"); strings.Contains(got, ":pw") {
		t.Errorf("redact kept the password: %q", got)
	}
	if !reflect.DeepEqual(new(User).differences(&User{Trunk: "", Transfer: "", Secret: SecretMask}), []string(nil)) {
		t.Error("an empty user differs from its masked, IAX2-less read-back")
	}
}
