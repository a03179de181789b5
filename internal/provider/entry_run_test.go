package provider

import (
	"sync"
	"testing"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

func TestEntryRun(t *testing.T) {
	const uuid = "B0B00000-0000-4000-8000-000000000001"
	a, b := &pbxapi.Client{}, &pbxapi.Client{}
	run := entryRunOf(a)
	if entryRunOf(a) != run || entryRunOf(b) == run {
		t.Fatal("one record per client, and only one")
	}
	if _, ok := run.wrote(uuid); ok {
		t.Fatal("wrote before any write")
	}
	run.noteWritten(uuid, &pbxapi.EntryFields{Name: "Front Desk", Email: "desk@example.com"})
	if got, ok := run.wrote("b0b00000-0000-4000-8000-000000000001"); !ok || got != (entryNames{"Front Desk", "desk@example.com"}) {
		t.Errorf("wrote = %+v, %v; want the names written, whatever the uuid's case", got, ok)
	}
	if _, ok := entryRunOf(b).wrote(uuid); ok {
		t.Error("another client's record holds this client's write")
	}

	// Of concurrent claims of one uuid exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); wins <- run.claim(uuid) }()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d claims of one uuid won, want 1", n)
	}
}
