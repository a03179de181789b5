// Package provider implements the pbx Terraform provider:
//
//   - the provider configuration (New): the Simotel PBX API and the 2N
//     intercom directory API, each argument also read from its environment
//     variable;
//   - the resources pbx_user (one PBX extension) and pbx_directory_entry (one
//     intercom directory entry);
//   - the data sources pbx_directory_entry and pbx_directory_entries, and the
//     ephemeral resource pbx_directory_entry;
//   - the list resources pbx_user and pbx_directory_entry (terraform query);
//   - the protocol server main.go ships (NewProtocol6Server), which also
//     answers the configuration generation of terraform query and import
//     blocks.
//
// It talks to the devices only through internal/pbxapi, and never imports
// the mock.
//
// # Refresh reads, plan computes
//
// Every device read happens in Read (refresh). ModifyPlan, plan modifiers
// and validators never call the network: the plan is a function of the
// configuration and the refreshed state (and private state). So a saved plan
// applies exactly what was reviewed, even when the device changed again in
// between, and a -refresh=false plan agrees with the last refresh. Reads are
// shared: one users/search serves every pbx_user of a run, one dir/query
// every linked user and pbx_directory_entry resource (see internal/pbxapi).
//
// # The secret of a pbx_user
//
// The PBX never returns a secret (it answers ******), and users/update
// replaces the whole extension, secret included. So every write sends the
// secret from the configuration: secret, or the write-only secret_wo (never
// in plan or state). An extension imported or listed by `terraform query`
// has no secret in the state; it keeps the one it has on the PBX for as long
// as nothing needs to be written:
//
//   - a plan that writes the extension (a field changes, or it is created)
//     while the configuration has no secret fails at plan time, naming the
//     extension and what to set;
//   - the state is the record of whether the PBX holds the configured
//     secret: `secret` (or `secret_wo_version`) in the state means the last
//     write sent it. A secret that appears in the configuration, or changes,
//     or a new secret_wo_version, differs from the state and so plans an
//     update that sends it. Removing the secret from the configuration
//     changes only the state: nothing is sent, the PBX keeps the secret,
//     Terraform forgets it.
//
// All of this is decided from configuration and state alone, in ModifyPlan,
// so a -refresh=false plan and a saved plan behave alike.
//
// # Users linked to a directory entry
//
// A user linked to a directory entry (directory_uuid) follows the entry's
// name and email unless they are set in the configuration.
//
// Read asks the directory whether the entry changed since the point recorded
// at the last read (one dir/query shared by every user of the run, see
// pbxapi.RefreshEntry) and records what it learned: directory_timestamp and
// directory_series in the state, and the entry's name and email with the
// query watermark in private state. ModifyPlan fills the plan from them
// without any network call, so a saved plan applies exactly what was
// reviewed, and -refresh=false plans agree with the last refresh. A link
// that is new in this plan (or an unknown uuid) is resolved at apply time:
// the plan shows the followed values as known after apply.
//
// # Design documents
//
// The API contract is design/api/README.md (with the sourced reference in
// design/api/reference.md), the choices the provider makes where the APIs
// are silent are design/decisions.md, and the mock is design/mock.md.
package provider
