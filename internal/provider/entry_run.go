package provider

import (
	"strings"
	"sync"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// entryRun is what this run's pbx_directory_entry resources did, as the
// provider itself recorded it at apply (no device is asked):
//   - the uuids their creates claimed: a second create of one of them in the
//     same run is a second resource with the same derived uuid, not an orphan
//     of an earlier run;
//   - the name and email each create or update left in its entry: the plan
//     Terraform makes again at apply for a linked pbx_user compares them with
//     what the user's refresh recorded (userResource.updatedSinceRefresh).
//
// There is one per client, that is one per provider configuration and run.
type entryRun struct {
	mu      sync.Mutex
	claimed map[string]bool
	written map[string]entryNames
}

// entryNames is what a linked user follows of an entry.
type entryNames struct{ Name, Email string }

var entryRuns sync.Map // *pbxapi.Client -> *entryRun

func entryRunOf(c *pbxapi.Client) *entryRun {
	r, _ := entryRuns.LoadOrStore(c, &entryRun{claimed: map[string]bool{}, written: map[string]entryNames{}})
	return r.(*entryRun) //nolint:forcetypeassert // only *entryRun is stored
}

// claim records that a create of uuid is under way, and reports false when
// another resource of the run claimed it first.
func (r *entryRun) claim(uuid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	uuid = strings.ToUpper(uuid)
	if r.claimed[uuid] {
		return false
	}
	r.claimed[uuid] = true
	return true
}

// noteWritten records the name and email a successful create (or adoption)
// or update left in entry uuid.
func (r *entryRun) noteWritten(uuid string, f *pbxapi.EntryFields) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written[strings.ToUpper(uuid)] = entryNames{Name: f.Name, Email: f.Email}
}

// wrote returns what the run's last write of entry uuid left it holding.
func (r *entryRun) wrote(uuid string) (entryNames, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.written[strings.ToUpper(uuid)]
	return n, ok
}
