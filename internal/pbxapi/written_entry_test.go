package pbxapi_test

import (
	"strings"
	"testing"
)

// WrittenEntry: what the client's own successful dir/update left in an
// entry, and nothing for an update that failed or sent nothing.
func TestWrittenEntry(t *testing.T) {
	d := newFakeDir(t)
	c := d.client(t)
	d.put(entryUUID, map[string]any{"name": "Reception"})
	prior := sampleFields()
	prior.Name = "Reception"
	if _, ok := c.WrittenEntry(entryUUID); ok {
		t.Fatal("WrittenEntry before any write")
	}
	// Nothing to change: nothing sent, nothing recorded.
	if _, err := c.UpdateEntry(testCtx(t), entryUUID, prior, prior); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.WrittenEntry(entryUUID); ok {
		t.Error("WrittenEntry after an update that sent nothing")
	}
	// Refused before sending: nothing recorded.
	bad := prior
	bad.Name = "Front\u0085Desk"
	if _, err := c.UpdateEntry(testCtx(t), entryUUID, prior, bad); err == nil {
		t.Fatal("an update with NEL was sent")
	}
	if _, ok := c.WrittenEntry(entryUUID); ok {
		t.Error("WrittenEntry after a refused update")
	}
	want := prior
	want.Name, want.Email = "Front Desk", "front@example.com"
	if _, err := c.UpdateEntry(testCtx(t), entryUUID, prior, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.WrittenEntry(strings.ToLower(entryUUID))
	if !ok || got.Name != "Front Desk" || got.Email != "front@example.com" {
		t.Errorf("WrittenEntry = %+v, %v; want the fields written", got, ok)
	}
	if _, ok := c.WrittenEntry("B0B00000-0000-4000-8000-000000000002"); ok {
		t.Error("WrittenEntry of an entry never written")
	}
}
