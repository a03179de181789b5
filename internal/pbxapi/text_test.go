package pbxapi_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// Names real people have: they must keep working.
const (
	persianName = "علی\u200cرضا محمدی" // with a zero-width non-joiner (U+200C, category Cf)
	czechName   = "Recepce – hlavní vchod"
)

func TestControlChar(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // RuneName of the character found; "" for none
		position int
	}{
		{"empty", "", "", 0},
		{"ascii", "Alice Smith", "", 0},
		{"persian with ZWNJ", persianName, "", 0},
		{"czech with diacritics and en dash", czechName, "", 0},
		{"no-break space (Zs)", "a\u00a0b", "", 0},
		{"zero-width space (Cf)", "a\u200bb", "", 0},
		{"line separator (Zl), not Cc", "a\u2028b", "", 0},
		{"byte that is not UTF-8", "a\x85b", "", 0},
		{"NUL", "\x00", "U+0000 (NUL)", 1},
		{"tab", "a\tb", "U+0009 (HT)", 2},
		{"line feed", "Alice\nBob", "U+000A (LF)", 6},
		{"carriage return", "x\r", "U+000D (CR)", 2},
		{"ESC in an e-mail", "x\x1b@example.com", "U+001B (ESC)", 2},
		{"unit separator", "\x1f", "U+001F (US)", 1},
		{"DEL", "a\x7f", "U+007F (DEL)", 2},
		{"first C1: PAD", "\u0080", "U+0080 (PAD)", 1},
		{"NEL after a Persian name", persianName + "\u0085", "U+0085 (NEL)", len([]rune(persianName)) + 1},
		{"last C1: APC", "é\u009f", "U+009F (APC)", 2},
		{"the first of two", "a\u0085\x1b", "U+0085 (NEL)", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, pos, ok := pbxapi.ControlChar(tc.in)
			if ok != (tc.want != "") {
				t.Fatalf("ControlChar(%q) found %v, want %v", tc.in, ok, tc.want != "")
			}
			err := pbxapi.CheckText("name", tc.in)
			if !ok {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if got := pbxapi.RuneName(r); got != tc.want || pos != tc.position {
				t.Errorf("ControlChar(%q) = %s at %d, want %s at %d", tc.in, got, pos, tc.want, tc.position)
			}
			var te *pbxapi.TextError
			if !errors.As(err, &te) || !errors.Is(err, pbxapi.ErrControlCharacter) {
				t.Fatalf("CheckText(%q) = %v, want a *TextError matching ErrControlCharacter", tc.in, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "name") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not name the field and %s", msg, tc.want)
			}
			if _, _, raw := pbxapi.ControlChar(msg); raw {
				t.Errorf("message %q holds a raw control character", msg)
			}
		})
	}
}

func TestCheckLines(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: "" for valid, else the substring of the error
	}{
		{"", ""},
		{"language=en\nallow=ulaw,alaw", ""},
		{"language=en\n\nallow=ulaw\n", ""},
		{"language=en\r\nallow=ulaw", "U+000D (CR) at character 12"},
		{"a=b\nc=\x1bd", "U+001B (ESC) at character 7"},
		{"a=b\u0085c=d", "U+0085 (NEL) at character 4"},
	} {
		err := pbxapi.CheckLines("more_options", tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckLines(%q) = %v, want nil", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckLines(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestRuneName(t *testing.T) {
	for r, want := range map[rune]string{0: "U+0000 (NUL)", 0x0a: "U+000A (LF)", 0x1b: "U+001B (ESC)", 0x7f: "U+007F (DEL)",
		0x85: "U+0085 (NEL)", 0x9b: "U+009B (CSI)", 0x200c: "U+200C", 'A': "U+0041", 0x1F600: "U+1F600"} {
		if got := pbxapi.RuneName(r); got != want {
			t.Errorf("RuneName(%U) = %q, want %q", r, got, want)
		}
	}
}

// Every write of the client refuses a control character in any field it
// sends, before sending anything.
func TestWritesRefuseControlCharacters(t *testing.T) {
	user := func(edit func(*pbxapi.User)) pbxapi.User {
		u := sampleUser("Alice", "301", "s3cret")
		u.ID = "603b41443e14270c550bf15a"
		edit(&u)
		return u
	}
	entry := func(edit func(*pbxapi.EntryFields)) pbxapi.EntryFields {
		f := pbxapi.DefaultEntryFields()
		f.Name = "Reception"
		edit(&f)
		return f
	}
	userCases := []struct {
		name, field, char string
		u                 pbxapi.User
	}{
		{"NEL in name", "name", "U+0085 (NEL)", user(func(u *pbxapi.User) { u.Name = "Alice\u0085" })},
		{"ESC in email", "email", "U+001B (ESC)", user(func(u *pbxapi.User) { u.Email = "x\x1b@example.com" })},
		{"LF in secret", "secret", "U+000A (LF)", user(func(u *pbxapi.User) { u.Secret = "a\nb" })},
		{"CR in more_options", "more_options", "U+000D (CR)", user(func(u *pbxapi.User) { u.MoreOptions = "a=b\r\nc=d" })},
		{"DEL in a forward", "forward_policy.No Answer", "U+007F (DEL)", user(func(u *pbxapi.User) { u.ForwardPolicy.NoAnswer = "1\x7f" })},
		{"NUL in context", "context", "U+0000 (NUL)", user(func(u *pbxapi.User) { u.Context = "main\x00" })},
	}
	for _, tc := range userCases {
		t.Run("users/"+tc.name, func(t *testing.T) {
			pbx := newFakePBX(t)
			c := newClient(t, fastConfig(pbx.srv.URL))
			_, addErr := c.AddUser(testCtx(t), tc.u)
			updErr := c.UpdateUser(testCtx(t), tc.u)
			for op, err := range map[string]error{"AddUser": addErr, "UpdateUser": updErr} {
				if !errors.Is(err, pbxapi.ErrControlCharacter) || !strings.Contains(err.Error(), tc.field+" contains the control character "+tc.char) {
					t.Errorf("%s: %v, want an error naming %s and %s", op, err, tc.field, tc.char)
				}
			}
			for _, a := range []string{"add", "update", "search"} {
				if n := pbx.count(a); n != 0 {
					t.Errorf("%d users/%s requests were sent, want none", n, a)
				}
			}
		})
	}
	// The names of people must still be written.
	t.Run("users/persian and czech names", func(t *testing.T) {
		pbx := newFakePBX(t)
		c := newClient(t, fastConfig(pbx.srv.URL))
		for i, name := range []string{persianName, czechName} {
			u := user(func(u *pbxapi.User) { u.Name, u.Number = name, strconv.Itoa(310+i) })
			if _, err := c.AddUser(testCtx(t), u); err != nil {
				t.Fatalf("AddUser(%q): %v", name, err)
			}
		}
		if n := pbx.count("add"); n != 2 {
			t.Errorf("%d users/add requests, want 2", n)
		}
	})

	entryCases := []struct {
		name, field, char string
		f                 pbxapi.EntryFields
	}{
		{"NEL in name", "name", "U+0085 (NEL)", entry(func(f *pbxapi.EntryFields) { f.Name = "Front\u0085Desk" })},
		{"ESC in email", "email", "U+001B (ESC)", entry(func(f *pbxapi.EntryFields) { f.Email = "x\x1b@example.com" })},
		{"tab in treepath", "treepath", "U+0009 (HT)", entry(func(f *pbxapi.EntryFields) { f.Treepath = "/a\tb" })},
		{"LF in owner", "owner", "U+000A (LF)", entry(func(f *pbxapi.EntryFields) { f.Owner = "team\n" })},
		{"ESC in a peer", "callPos[1].peer", "U+001B (ESC)", entry(func(f *pbxapi.EntryFields) { f.CallPos[1].Peer = "sip:1\x1b@h" })},
		{"CSI in profiles", "callPos[2].profiles", "U+009B (CSI)", entry(func(f *pbxapi.EntryFields) { f.CallPos[2].Profiles = "\u009b" })},
		{"DEL in a card", "access.card[1]", "U+007F (DEL)", entry(func(f *pbxapi.EntryFields) { f.Access.Cards = []string{"", "C\x7f"} })},
	}
	for _, tc := range entryCases {
		t.Run("dir/"+tc.name, func(t *testing.T) {
			d := newFakeDir(t)
			c := d.client(t)
			uuid := "A11CE000-0000-4000-8000-000000000001"
			_, createErr := c.CreateEntry(testCtx(t), uuid, tc.f)
			_, updateErr := c.UpdateEntry(testCtx(t), uuid, entry(func(*pbxapi.EntryFields) {}), tc.f)
			for op, err := range map[string]error{"CreateEntry": createErr, "UpdateEntry": updateErr} {
				if !errors.Is(err, pbxapi.ErrControlCharacter) || !strings.Contains(err.Error(), tc.field+" contains the control character "+tc.char) {
					t.Errorf("%s: %v, want an error naming %s and %s", op, err, tc.field, tc.char)
				}
			}
			if calls := d.requests(); len(calls) != 0 {
				t.Errorf("requests were sent: %v, want none", calls)
			}
		})
	}
	t.Run("dir/persian and czech names", func(t *testing.T) {
		d := newFakeDir(t)
		c := d.client(t)
		for i, name := range []string{persianName, czechName} {
			uuid := []string{"A11CE000-0000-4000-8000-000000000001", "B0B00000-0000-4000-8000-000000000002"}[i]
			if _, err := c.CreateEntry(testCtx(t), uuid, entry(func(f *pbxapi.EntryFields) { f.Name = name })); err != nil {
				t.Fatalf("CreateEntry(%q): %v", name, err)
			}
		}
		if calls := d.requests(); len(calls) != 2 {
			t.Errorf("requests %v, want two creates", calls)
		}
	})
}

// FuzzControlChar: the one rule is exactly Unicode's category Cc, and what
// it reports (the character, its position, the message) is right.
func FuzzControlChar(f *testing.F) {
	for _, s := range []string{
		"", "Alice", persianName, czechName, "a\tb", "x\x1b@example.com", "Alice\u0085", "\x7f", "\u0080\u009f",
		"a\u2028b", "a\x85b", "\xff\xfe", "\u200c", "a=b\nc=d", "a=b\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantPos := rune(0), 0
		for i, r := range []rune(s) {
			if unicode.Is(unicode.Cc, r) { // []rune reads a byte that is not UTF-8 as U+FFFD
				want, wantPos = r, i+1
				break
			}
		}
		r, pos, ok := pbxapi.ControlChar(s)
		if ok != (wantPos != 0) || r != want || pos != wantPos {
			t.Fatalf("ControlChar(%q) = %U, %d, %v; want %U at %d", s, r, pos, ok, want, wantPos)
		}
		err := pbxapi.CheckText("field", s)
		if (err != nil) != ok {
			t.Fatalf("CheckText(%q) = %v, ControlChar found %v", s, err, ok)
		}
		if err != nil {
			if _, _, raw := pbxapi.ControlChar(err.Error()); raw {
				t.Fatalf("the message for %q holds a raw control character: %q", s, err.Error())
			}
			if !strings.Contains(err.Error(), pbxapi.RuneName(r)) {
				t.Fatalf("the message %q does not name %U", err.Error(), r)
			}
		}
		// more_options: the same rule line by line, line feeds allowed.
		lerr := pbxapi.CheckLines("more_options", s)
		if (lerr != nil) != (strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && pbxapi.IsControl(r) })) {
			t.Fatalf("CheckLines(%q) = %v", s, lerr)
		}
	})
}
