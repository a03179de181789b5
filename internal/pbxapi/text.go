package pbxapi

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The one rule for text sent to either device: no Unicode control character
// (general category Cc: C0 U+0000–U+001F, DEL U+007F and C1 U+0080–U+009F).
// A line break in an extension's name or secret would start a new line, and
// so a new option or section, in Asterisk's configuration files; the intercom
// shows names on its display and sends e-mails to the addresses. Nothing else
// is refused: format characters such as the zero-width non-joiner (U+200C,
// category Cf) that Persian names need, and every letter with its diacritics,
// are text like any other.
//
// The provider's validators apply the rule to configured values and to the
// values it takes from a device (a linked directory entry); the client
// applies it again to every write (CheckUser, checkPatch), so no path can
// send a control character.

// ErrControlCharacter matches a *TextError.
var ErrControlCharacter = errors.New("control character")

// TextError reports a control character in a value.
type TextError struct {
	// Field names the value, as the device names it.
	Field string
	// Char is the first control character, Position its position in the
	// value (1 for the first character).
	Char     rune
	Position int
}

func (e *TextError) Error() string {
	return fmt.Sprintf("%s contains the control character %s at character %d", e.Field, RuneName(e.Char), e.Position)
}

// Is makes a *TextError match ErrControlCharacter.
func (e *TextError) Is(target error) bool { return target == ErrControlCharacter }

// IsControl reports whether r is a control character (category Cc).
func IsControl(r rune) bool {
	return r <= 0x1f || (r >= 0x7f && r <= 0x9f)
}

// ControlChar returns the first control character in s and its position
// (counted in characters from 1); ok is false when s has none. Bytes that are
// not UTF-8 are not characters and never count as control characters (a JSON
// encoder sends each as U+FFFD).
func ControlChar(s string) (r rune, position int, ok bool) {
	position = 0
	for _, c := range s {
		position++
		if IsControl(c) {
			return c, position, true
		}
	}
	return 0, 0, false
}

// CheckText applies the rule to the value of field: nil, or a *TextError.
func CheckText(field, value string) error {
	if r, pos, ok := ControlChar(value); ok {
		return &TextError{Field: field, Char: r, Position: pos}
	}
	return nil
}

// CheckLines applies the rule to each line of a multi-line value
// (more_options), whose lines are separated by line feeds (U+000A) and by
// nothing else.
func CheckLines(field, value string) error {
	offset := 0
	for line := range strings.SplitSeq(value, "\n") {
		if r, pos, ok := ControlChar(line); ok {
			return &TextError{Field: field, Char: r, Position: offset + pos}
		}
		offset += len([]rune(line)) + 1
	}
	return nil
}

// controlNames are the standard abbreviations of the C0 and C1 controls
// (ISO/IEC 6429), by code point.
var controlNames = [...]string{
	"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
}

var c1Names = [...]string{
	"PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU", "RI", "SS2", "SS3",
	"DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGC", "SCI", "CSI", "ST", "OSC", "PM", "APC",
}

// RuneName names a character for a message without writing it: "U+001B (ESC)",
// "U+0085 (NEL)", "U+200C".
func RuneName(r rune) string {
	name := ""
	switch {
	case r >= 0 && r <= 0x1f:
		name = controlNames[r]
	case r == 0x7f:
		name = "DEL"
	case r >= 0x80 && r <= 0x9f:
		name = c1Names[r-0x80]
	}
	if name == "" {
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("U+%04X (%s)", r, name)
}

// CheckUser applies the rule to every field of u that a users/add or
// users/update sends (more_options line by line).
func CheckUser(u *User) error {
	fields := u.stringFields()
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same field is reported every time
	for _, k := range keys {
		var err error
		switch k {
		case "description", "date": // read-only, never sent
		case "more_options":
			err = CheckLines(k, *fields[k])
		default:
			err = CheckText(k, *fields[k])
		}
		if err != nil {
			return err
		}
	}
	for _, f := range []struct{ key, value string }{
		{"Busy", u.ForwardPolicy.Busy}, {"No Answer", u.ForwardPolicy.NoAnswer},
		{"UnAvailable", u.ForwardPolicy.UnAvailable}, {"All", u.ForwardPolicy.All},
	} {
		if err := CheckText("forward_policy."+f.key, f.value); err != nil {
			return err
		}
	}
	return nil
}

// checkPatch applies the rule to every string of a directory write's entry
// object (what dir/create or dir/update sends), named by its path.
func checkPatch(path string, v any) error {
	switch v := v.(type) {
	case string:
		return CheckText(path, v)
	case []string:
		for i, s := range v {
			if err := CheckText(fmt.Sprintf("%s[%d]", path, i), s); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := checkPatch(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if err := checkPatch(p, v[k]); err != nil {
				return err
			}
		}
	}
	return nil
}
