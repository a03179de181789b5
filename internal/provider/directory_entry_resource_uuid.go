package provider

// The uuid of a pbx_directory_entry, and creates that survive an interrupted
// apply.
//
// dir/create has no natural key: the only thing that tells an entry created
// by an earlier, killed apply from a new one is its uuid. So the uuid of a
// new entry is not random: it is the configured `uuid`, or else one derived
// from the entry's configured content (deriveEntryUUID), which the same
// configuration derives again in the next run. A create that meets
// EDIR_UUID_ALREADY_EXISTS reads that entry and adopts it when it holds every
// managed value of the configuration; otherwise it fails, naming the uuid.
//
// The uuid is derived only for a create, at apply. The plan shows it as known
// after apply (unless it is configured): a user linked to an entry that this
// run creates again, after a directory reset that wiped it, must resolve its
// link at apply too, not fail on the entry its refresh found missing. An
// entry in the state keeps its uuid whatever changes later (a rename changes
// the content, not the uuid).

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// entryUUIDNamespace is the name space of derived entry uuids (RFC 9562,
// section 6.5): a fixed random uuid, never to change, or every derived uuid
// would change with it.
var entryUUIDNamespace = [16]byte{0x6f, 0x1c, 0x2a, 0x9e, 0x44, 0x0b, 0x4d, 0x3a, 0x9b, 0x51, 0xc2, 0x7e, 0x08, 0xd4, 0x63, 0xaf}

// deriveEntryUUID is the uuid a configuration without `uuid` gives its
// entry: a name-based uuid (version 8 with SHA-256, RFC 9562 appendix B.2) of
// every managed value except the credentials. The same values always give
// the same uuid, and different ones different uuids. The credentials (PIN,
// switch codes, cards) are left out on purpose: a uuid is not secret, and a
// PIN of a few digits hashed into it could be found by trying them all. Two
// entries that differ only in credentials therefore derive the same uuid; the
// second create then fails (or, in the same run, is refused as a twin) with a
// message that asks for a `uuid`.
func deriveEntryUUID(f *pbxapi.EntryFields) string {
	type position struct {
		Peer     string `json:"peer"`
		Grouped  bool   `json:"grouped"`
		Profiles string `json:"profiles"`
	}
	content := struct {
		Name       string                         `json:"name"`
		Email      string                         `json:"email"`
		Treepath   string                         `json:"treepath"`
		VirtNumber string                         `json:"virt_number"`
		Owner      string                         `json:"owner"`
		Deputy     string                         `json:"deputy"`
		CallPos    [pbxapi.CallPositions]position `json:"call_positions"`
		Validity   [2]int64                       `json:"validity"`
	}{
		Name: f.Name, Email: f.Email, Treepath: f.Treepath, VirtNumber: f.VirtNumber, Owner: f.Owner,
		Deputy:   strings.ToUpper(f.Deputy),
		Validity: [2]int64{f.Access.ValidFrom, f.Access.ValidTo},
	}
	for i, p := range f.CallPos {
		content.CallPos[i] = position{Peer: p.Peer, Grouped: p.Grouped, Profiles: p.Profiles}
	}
	b, err := json.Marshal(content)
	if err != nil {
		panic(err) // strings, booleans and integers always marshal
	}
	h := sha256.New()
	h.Write(entryUUIDNamespace[:])
	h.Write(b)
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x80 // version 8
	sum[8] = sum[8]&0x3f | 0x80 // variant 10
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16]))
}

// createOrAdopt creates the entry uuid, or adopts the entry of that uuid an
// earlier, interrupted run created: one that holds every managed value of
// want. managed lists the credentials the configuration manages; whatever
// the entry holds for the others is accepted. It also returns the code and
// card positions the entry holds.
func (r *directoryEntryResource) createOrAdopt(ctx context.Context, uuid string, want pbxapi.EntryFields, managed managedCredentials, diags *diag.Diagnostics) (*pbxapi.EntryWrite, credentialSlots, bool) {
	summary := fmt.Sprintf("Directory entry uuid %s is already taken", uuid)
	// Claimed before the request, so that of two resources of this run with
	// the same uuid the second fails whatever the order of the replies.
	if !entryRunOf(r.client).claim(uuid) {
		diags.AddError(summary, fmt.Sprintf("Another pbx_directory_entry of this run has already created (or adopted) entry %s: "+
			"both have the same arguments (%q), from which both derive the same uuid. Give one of the two an explicit `uuid` "+
			"(any other uuid in upper case, e.g. from `uuidgen | tr a-z A-Z`), or make their arguments differ.", uuid, want.Name))
		return nil, credentialSlots{}, false
	}
	w, err := r.client.CreateEntry(ctx, uuid, want)
	var we *pbxapi.WriteError
	switch {
	case err == nil:
		// A new entry holds the managed credentials only.
		return w, slotsOf(&want), true
	case !errors.As(err, &we) || !we.HasCode(pbxapi.CodeUUIDAlreadyExists):
		detail := describeEntryWrite(err)
		if pbxapi.IsAmbiguous(err) {
			detail += fmt.Sprintf("\n\nThe intercom may have created the entry with uuid %s. Run terraform apply again: the same "+
				"configuration creates the same uuid, and an entry it finds there holding the configured values is adopted.", uuid)
		}
		diags.AddError(fmt.Sprintf("Unable to create directory entry %q (uuid %s)", want.Name, uuid), detail)
		return nil, credentialSlots{}, false
	}
	res, series, err := r.client.GetEntry(ctx, uuid, []string{})
	if err != nil {
		diags.AddError(summary, fmt.Sprintf("dir/create answered EDIR_UUID_ALREADY_EXISTS, and reading entry %s to compare it with the "+
			"configuration failed: %s", uuid, describe(err)))
		return nil, credentialSlots{}, false
	}
	got, err := res.Fields()
	if err != nil {
		diags.AddError(summary, fmt.Sprintf("The intercom holds entry %s in a form the provider cannot read: %v. Check it in the intercom's directory.", uuid, err))
		return nil, credentialSlots{}, false
	}
	keepUnmanaged(&want, got, managed)
	if diff := want.Differences(*got); len(diff) > 0 {
		diags.AddError(summary, fmt.Sprintf("The directory already has an entry with uuid %s (%q), and it differs from the configuration "+
			"in %s, so it is not adopted. If it is this entry, created by an earlier apply that was interrupted and changed since, "+
			"import it (terraform import <address> %s, or an import block) and apply. If it is another entry, set `uuid` on this "+
			"resource to a different uuid.", uuid, got.Name, strings.Join(diff, ", "), uuid))
		return nil, credentialSlots{}, false
	}
	diags.AddWarning(fmt.Sprintf("Adopted existing directory entry %s", uuid),
		fmt.Sprintf("The directory already had entry %s (%q) with every configured value, most likely created by an earlier apply "+
			"that was interrupted before it recorded it. It is now managed by this resource; nothing was created.", uuid, want.Name))
	return &pbxapi.EntryWrite{UUID: res.UUID, Series: series, Timestamp: res.Timestamp, Adopted: true}, slotsOf(got), true
}

// entryUUIDOf is the uuid a create uses: the configured one, else the one
// derived from the planned values.
func entryUUIDOf(plan *directoryEntryResourceModel, fields *pbxapi.EntryFields) string {
	if !plan.UUID.IsNull() && !plan.UUID.IsUnknown() && plan.UUID.ValueString() != "" {
		return strings.ToUpper(plan.UUID.ValueString())
	}
	return deriveEntryUUID(fields)
}

// uuidCheck accepts a configured uuid in the directory's form: upper case,
// so that the state, the identity and the configuration agree.
func uuidCheck() stringCheck {
	return stringCheck{"a directory uuid, XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX in upper-case hexadecimal", func(s string) string {
		switch {
		case !pbxapi.ValidUUID(s):
			return fmt.Sprintf("%q is not in the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX (hexadecimal, not all zeros)", s)
		case s != strings.ToUpper(s):
			return fmt.Sprintf("%q has lower-case letters (write %s, as the directory stores it)", s, strings.ToUpper(s))
		}
		return ""
	}}
}
