package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// NewProtocol6Server returns the factory of the provider's protocol server:
// the framework's server, with GenerateResourceConfig answered by
// configFromState for this provider's resources. main.go ships it.
//
// Configuration generation: `terraform query -generate-config-out` (for the
// pbx_user list resource) and `terraform plan -generate-config-out` (for
// import blocks) ask the provider, through the GenerateResourceConfig RPC
// (Terraform 1.14+), which configuration to write for a resource's state.
//
// The framework (v1.19) answers with every optional argument whose value is
// not an empty string. That writes every PBX default (active = true,
// port = 5060, context = "main_routing", …) into every generated block, and
// it drops empty strings even where the default is not empty: a user in no
// call group (callgroup = "") would come back as group 1, and the first plan
// of the generated file would change it. So this provider answers the RPC
// itself: an argument is left out exactly when leaving it out plans the
// same value (see configValue).
func NewProtocol6Server(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		p := New(version)()
		server := providerserver.NewProtocol6(p)()
		lister, ok := server.(tfprotov6.ListResourceServer)
		if !ok {
			// A framework without list resources has no configuration
			// generation to replace either.
			return server
		}
		return &configGeneratingServer{
			ProviderServer:     server,
			ListResourceServer: lister,
			schemas: sync.OnceValue(func() map[string]rschema.Schema {
				return resourceSchemas(context.Background(), p.Resources(context.Background()))
			}),
		}
	}
}

// configGeneratingServer is the framework's protocol server with its own
// GenerateResourceConfig.
type configGeneratingServer struct {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	schemas func() map[string]rschema.Schema
}

// resourceSchemas maps each resource's type name to its schema.
func resourceSchemas(ctx context.Context, resources []func() resource.Resource) map[string]rschema.Schema {
	out := make(map[string]rschema.Schema, len(resources))
	for _, newResource := range resources {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "pbx"}, &meta)
		var s resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &s)
		out[meta.TypeName] = s.Schema
	}
	return out
}

// GetMetadata and GetProviderSchema announce the GenerateResourceConfig
// capability, which the framework (v1.19) implements but does not announce,
// so Terraform would otherwise use its own generation, the same as the
// framework's.
func (s *configGeneratingServer) GetMetadata(ctx context.Context, req *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp, err := s.ProviderServer.GetMetadata(ctx, req)
	if resp != nil {
		resp.ServerCapabilities = withGenerateResourceConfig(resp.ServerCapabilities)
	}
	return resp, err
}

func (s *configGeneratingServer) GetProviderSchema(ctx context.Context, req *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	resp, err := s.ProviderServer.GetProviderSchema(ctx, req)
	if resp != nil {
		resp.ServerCapabilities = withGenerateResourceConfig(resp.ServerCapabilities)
	}
	return resp, err
}

func withGenerateResourceConfig(c *tfprotov6.ServerCapabilities) *tfprotov6.ServerCapabilities {
	out := tfprotov6.ServerCapabilities{}
	if c != nil {
		out = *c
	}
	out.GenerateResourceConfig = true
	return &out
}

func (s *configGeneratingServer) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	schema, ok := s.schemas()[req.TypeName]
	if !ok || req.State == nil {
		return s.ProviderServer.GenerateResourceConfig(ctx, req)
	}
	typ := schema.Type().TerraformType(ctx)
	fail := func(err error) (*tfprotov6.GenerateResourceConfigResponse, error) {
		return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: []*tfprotov6.Diagnostic{{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unable to generate configuration",
			Detail: fmt.Sprintf("Generating the configuration of a %s failed: %v. This is always a bug in the provider; please report it.",
				req.TypeName, err),
		}}}, nil
	}
	state, err := req.State.Unmarshal(typ)
	if err != nil {
		return fail(err)
	}
	config, diags := configFromState(ctx, schema, state)
	if diags.HasError() {
		return fail(fmt.Errorf("%s: %s", diags.Errors()[0].Summary(), diags.Errors()[0].Detail()))
	}
	dv, err := tfprotov6.NewDynamicValue(typ, config)
	if err != nil {
		return fail(err)
	}
	return &tfprotov6.GenerateResourceConfigResponse{Config: &dv}, nil
}

// configFromState returns the configuration that plans exactly state: every
// argument whose value the configuration must give, and nothing else.
func configFromState(ctx context.Context, schema rschema.Schema, state tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	if state.IsNull() || !state.IsKnown() {
		return state, nil
	}
	return configObject(ctx, path.Empty(), schema.Attributes, state)
}

func configObject(ctx context.Context, at path.Path, attrs map[string]rschema.Attribute, obj tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	values := map[string]tftypes.Value{}
	if err := obj.As(&values); err != nil {
		diags.AddAttributeError(at, "Unexpected state value", err.Error())
		return obj, diags
	}
	out := make(map[string]tftypes.Value, len(values))
	for name, v := range values {
		a, ok := attrs[name]
		if !ok {
			out[name] = v
			continue
		}
		var d diag.Diagnostics
		out[name], d = configValue(ctx, at.AtName(name), a, v)
		diags.Append(d...)
	}
	return tftypes.NewValue(obj.Type(), out), diags
}

// configValue is the configuration value of one argument, null (left out)
// when:
//   - it is read-only, deprecated, sensitive or write-only (no secret is
//     ever written: the PBX never returns one, and a state's is not for files);
//   - it equals the argument's default, which a null plans again;
//   - it is an empty string of an optional, computed argument without a
//     default (email: the resource computes "" when unset).
//
// A nested object is written attribute by attribute under the same rules, or
// left out as a whole when it equals its default.
func configValue(ctx context.Context, at path.Path, a rschema.Attribute, v tftypes.Value) (tftypes.Value, diag.Diagnostics) {
	null := tftypes.NewValue(v.Type(), nil)
	switch {
	case v.IsNull() || !v.IsKnown():
		return v, nil
	case a.IsComputed() && !a.IsOptional(), a.GetDeprecationMessage() != "", a.IsSensitive(), a.IsWriteOnly():
		return null, nil
	}
	def, diags := defaultValue(ctx, at, a)
	if diags.HasError() {
		return v, diags
	}
	switch {
	case def != nil && v.Equal(*def):
		return null, nil
	case def == nil && a.IsComputed() && v.Type().Is(tftypes.String):
		var s string
		if err := v.As(&s); err == nil && s == "" {
			return null, nil
		}
	}
	if nested, ok := a.(rschema.SingleNestedAttribute); ok {
		return configObject(ctx, at, nested.Attributes, v)
	}
	return v, nil
}

// defaultValue returns the attribute's schema default, or nil when it has
// none (or one of a kind this provider does not use).
func defaultValue(ctx context.Context, at path.Path, a rschema.Attribute) (*tftypes.Value, diag.Diagnostics) {
	var (
		value attr.Value
		diags diag.Diagnostics
	)
	switch a := a.(type) {
	case rschema.StringAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.BoolAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.Int64Attribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	case rschema.SingleNestedAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.ObjectResponse
		a.Default.DefaultObject(ctx, defaults.ObjectRequest{Path: at}, &resp)
		value, diags = resp.PlanValue, resp.Diagnostics
	default:
		return nil, nil
	}
	if diags.HasError() {
		return nil, diags
	}
	tv, err := value.ToTerraformValue(ctx)
	if err != nil {
		diags.AddAttributeError(at, "Unexpected default value", err.Error())
		return nil, diags
	}
	return &tv, diags
}
