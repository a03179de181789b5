package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
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
			return releasingServer{server}
		}
		return &configGeneratingServer{
			// Each RPC's context is released when it returns (see
			// releasingServer).
			ProviderServer:     releasingServer{server},
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
