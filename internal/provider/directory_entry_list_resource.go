package provider

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var _ list.ListResourceWithConfigure = (*directoryEntryListResource)(nil)

// NewDirectoryEntryListResource returns the pbx_directory_entry list resource
// (terraform query, Terraform 1.14+).
func NewDirectoryEntryListResource() list.ListResource {
	return &directoryEntryListResource{}
}

type directoryEntryListResource struct {
	client *pbxapi.Client
}

// directoryEntryListModel is the config block of a
// `list "pbx_directory_entry"` block; the filters that are set must all match.
type directoryEntryListModel struct {
	Owner          types.String `tfsdk:"owner"`
	NameContains   types.String `tfsdk:"name_contains"`
	TreepathPrefix types.String `tfsdk:"treepath_prefix"`
}

func (l *directoryEntryListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_directory_entry"
}

func (l *directoryEntryListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the entries of the 2N intercom directory for `terraform query` (Terraform 1.14+), with one `dir/query` " +
			"request however many entries there are. Each result is named like `Reception (01234567-89AB-CDEF-0123-456789ABCDEF)` and carries " +
			"the identity `{ uuid }` that an `import` block takes; with `include_resource = true` (implied by `terraform query " +
			"-generate-config-out`) it also carries every attribute of the `pbx_directory_entry`. Deleted entries are not listed. " +
			"Every filter is optional, and the filters that are set must all match.",
		Attributes: map[string]schema.Attribute{
			"owner": schema.StringAttribute{
				MarkdownDescription: "Only entries with exactly this `owner` (`\"\"` for entries without one).",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtMost(64), noControl()},
			},
			"name_contains": schema.StringAttribute{
				MarkdownDescription: "Only entries whose name contains this text, ignoring case.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128), noControl()},
			},
			"treepath_prefix": schema.StringAttribute{
				MarkdownDescription: "Only entries in this phonebook folder or below it, e.g. `/Staff` (`/Staff` and `/Staff/Front`, not `/Staffing`).",
				Optional:            true,
				Validators: []validator.String{
					stringvalidator.RegexMatches(treepathPattern, "must start with / and not contain < or >"),
					stringvalidator.LengthAtMost(255), noControl(),
				},
			},
		},
	}
}

func (l *directoryEntryListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		l.client = client
	}
}

// listedEntry is one live entry of the directory.
type listedEntry struct {
	uuid      string
	timestamp int64
	fields    *pbxapi.EntryFields
}

func (m *directoryEntryListModel) matches(f *pbxapi.EntryFields) bool {
	switch {
	case !m.Owner.IsNull() && f.Owner != m.Owner.ValueString():
		return false
	case !m.NameContains.IsNull() && !strings.Contains(strings.ToLower(f.Name), strings.ToLower(m.NameContains.ValueString())):
		return false
	case !m.TreepathPrefix.IsNull():
		prefix := strings.TrimSuffix(m.TreepathPrefix.ValueString(), "/")
		if prefix != "" && f.Treepath != prefix && !strings.HasPrefix(f.Treepath, prefix+"/") {
			return false
		}
	}
	return true
}

func (l *directoryEntryListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg directoryEntryListModel
	if !startList(ctx, req, stream, &cfg, l.client, "directory entries") {
		return
	}
	res, err := l.client.QueryEntries(ctx, "", 0, []string{})
	if err != nil {
		failList(stream, nil, "Unable to list directory entries", "dir/query failed. "+describe(err))
		return
	}
	var entries []listedEntry
	for _, qe := range res.Entries {
		if qe.Deleted {
			continue
		}
		f, err := qe.Fields()
		if err != nil {
			failList(stream, nil, "Unable to list directory entries",
				"The intercom returned entry "+qe.UUID+" in a form the provider cannot read: "+err.Error()+". Check the entry in the intercom's directory.")
			return
		}
		if cfg.matches(f) {
			entries = append(entries, listedEntry{uuid: strings.ToUpper(qe.UUID), timestamp: qe.Timestamp, fields: f})
		}
	}
	slices.SortFunc(entries, func(a, b listedEntry) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.fields.Name), strings.ToLower(b.fields.Name)), strings.Compare(a.uuid, b.uuid))
	})
	streamResults(stream, entries, req.Limit, func(e *listedEntry) list.ListResult { return l.result(ctx, req, res.Series, e) })
}

// result is one listed entry: its identity and display name, and with
// include_resource the whole resource as a refresh would store it.
func (l *directoryEntryListResource) result(ctx context.Context, req list.ListRequest, series string, e *listedEntry) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = strings.TrimSpace(e.fields.Name + " (" + e.uuid + ")")
	result.Diagnostics.Append(result.Identity.Set(ctx, directoryEntryIdentityModel{UUID: types.StringValue(e.uuid)})...)
	if !req.IncludeResource {
		return result
	}
	m := directoryEntryResourceModel{
		UUID:      types.StringValue(e.uuid),
		Timestamp: types.Int64Value(e.timestamp),
		Series:    types.StringValue(series),
	}
	// No credential: an imported entry manages none until the configuration
	// names it, and a listing (or a generated configuration) is no place for
	// door codes.
	m.fromFields(e.fields, managedCredentials{})
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return result
}
