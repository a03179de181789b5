package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*directoryEntryEphemeralResource)(nil)

// NewDirectoryEntryEphemeralResource returns the pbx_directory_entry
// ephemeral resource: the data source's read of one entry, whose result
// Terraform keeps out of the plan and the state (Terraform 1.10+).
func NewDirectoryEntryEphemeralResource() ephemeral.EphemeralResource {
	return &directoryEntryEphemeralResource{}
}

type directoryEntryEphemeralResource struct {
	source directoryEntryDataSource
}

func (e *directoryEntryEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_directory_entry"
}

// dataSourceSchema is the pbx_directory_entry data source's schema, which
// the ephemeral resource shares attribute for attribute.
func (e *directoryEntryEphemeralResource) dataSourceSchema(ctx context.Context) dschema.Schema {
	var resp datasource.SchemaResponse
	e.source.Schema(ctx, datasource.SchemaRequest{}, &resp)
	return resp.Schema
}

func (e *directoryEntryEphemeralResource) Schema(ctx context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	ds := e.dataSourceSchema(ctx)
	attrs := make(map[string]schema.Attribute, len(ds.Attributes))
	for name, a := range ds.Attributes {
		ea, err := ephemeralAttribute(a)
		if err != nil {
			resp.Diagnostics.AddError("Invalid pbx_directory_entry schema", fmt.Sprintf("Attribute %s: %v. This is always a bug in the provider.", name, err))
			return
		}
		attrs[name] = ea
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one entry of the 2N intercom directory with `POST /api/dir/get`, like the `pbx_directory_entry` data " +
			"source, but as an ephemeral resource (Terraform 1.10 or later): the result, PINs, switch codes and card ids in `credentials_json` (with `include_credentials = true`) included, " +
			"is never stored in the plan or the state. Use it to hand an entry's credentials to a write-only argument or a provider " +
			"configuration.",
		Attributes: attrs,
	}
}

// ephemeralAttribute converts one data source attribute (of the kinds the
// directory entry uses) to the ephemeral schema's equivalent.
func ephemeralAttribute(a dschema.Attribute) (schema.Attribute, error) {
	switch a := a.(type) {
	case dschema.StringAttribute:
		return schema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Validators: a.Validators}, nil
	case dschema.BoolAttribute:
		return schema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Validators: a.Validators}, nil
	case dschema.Int64Attribute:
		return schema.Int64Attribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Validators: a.Validators}, nil
	case dschema.ListAttribute:
		return schema.ListAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Validators: a.Validators, ElementType: a.ElementType}, nil
	case dschema.ListNestedAttribute:
		nested := make(map[string]schema.Attribute, len(a.NestedObject.Attributes))
		for name, na := range a.NestedObject.Attributes {
			ea, err := ephemeralAttribute(na)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			nested[name] = ea
		}
		return schema.ListNestedAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Validators: a.Validators,
			NestedObject: schema.NestedAttributeObject{Attributes: nested}}, nil
	}
	return nil, fmt.Errorf("%T has no ephemeral equivalent here", a)
}

func (e *directoryEntryEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if client := clientFrom(req.ProviderData, &resp.Diagnostics); client != nil {
		e.source.client = client
	}
}

// Open reads the entry exactly as the data source does; only where the
// result goes differs.
func (e *directoryEntryEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	ds := e.dataSourceSchema(ctx)
	read := datasource.ReadResponse{State: tfsdk.State{Schema: ds, Raw: tftypes.NewValue(ds.Type().TerraformType(ctx), nil)}}
	e.source.Read(ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: ds, Raw: req.Config.Raw}}, &read)
	resp.Diagnostics.Append(read.Diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Result.Raw = read.State.Raw
}
