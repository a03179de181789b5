package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestProtocol6ServerGeneratesConfig goes through the protocol server main.go
// serves: the capability is announced (else Terraform generates the
// configuration itself), and pbx_user's configuration leaves defaults out.
func TestProtocol6ServerGeneratesConfig(t *testing.T) {
	ctx := context.Background()
	server := NewProtocol6Server("test")()
	meta, err := server.GetMetadata(ctx, &tfprotov6.GetMetadataRequest{})
	if err != nil || meta.ServerCapabilities == nil || !meta.ServerCapabilities.GenerateResourceConfig {
		t.Fatalf("GetMetadata does not announce GenerateResourceConfig: %+v, %v", meta, err)
	}
	ps, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || ps.ServerCapabilities == nil || !ps.ServerCapabilities.GenerateResourceConfig {
		t.Fatalf("GetProviderSchema does not announce GenerateResourceConfig: %v", err)
	}
	if _, ok := ps.ListResourceSchemas["pbx_user"]; !ok {
		t.Fatalf("no pbx_user list resource schema; list resources: %v", slices.Collect(maps.Keys(ps.ListResourceSchemas)))
	}
	if !ps.ServerCapabilities.PlanDestroy || !ps.ServerCapabilities.GetProviderSchemaOptional {
		t.Errorf("the framework's other capabilities were lost: %+v", ps.ServerCapabilities)
	}

	u := defaultUser
	u.NAT, u.CallGroup = "yes", ""
	schema, state := userStateValue(t, u, "carol-sip-secret")
	typ := schema.Type().TerraformType(ctx)
	dv, err := tfprotov6.NewDynamicValue(typ, state)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GenerateResourceConfig(ctx, &tfprotov6.GenerateResourceConfigRequest{TypeName: "pbx_user", State: &dv})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("GenerateResourceConfig: %v %+v", err, resp.Diagnostics)
	}
	config, err := resp.Config.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(writtenArguments(t, config)))
	if want := []string{"callgroup", "name", "nat", "number"}; !slices.Equal(got, want) {
		t.Fatalf("generated configuration sets %v, want %v", got, want)
	}
}
