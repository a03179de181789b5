// Command floor is the "plugin floor" of `make bench` (internal/cmd/bench): a
// terraform-plugin-framework provider with exactly the schemas of the real pbx
// provider that does no I/O. Its cost is what Terraform and the framework spend on
// configurations of that shape, the least any implementation of the provider can cost.
//
// No schema is copied: every resource and data source of internal/provider is
// wrapped, and the wrapper calls the real Metadata and Schema methods (so validators,
// defaults and plan modifiers in the schema run as in the real provider). Only the
// CRUD methods are replaced: Create and Update copy the plan to the state and fill
// unknown computed values, Read and Delete do nothing, and a data source read copies
// its configuration and fills every unset computed attribute. The provider's own
// Configure, ValidateConfig and ModifyPlan methods are not wrapped, since they are the
// provider's cost, not the framework's.
//
// Built with -ldflags "-X main.bare=true" it is the bare floor: the same attribute
// names, types and flags with every validator, plan modifier and default removed
// (bare.go), the least a provider of this attribute shape can cost.
//
// It runs with the provider's process plumbing (quiet SDK logs unless TF_LOG* asks for
// them, each RPC's context released when it returns): that is not logic of ours, and
// the floor must not be beatable by a provider that merely has it.
//
// The bench installs the binary as terraform-provider-pbx in a dev_overrides directory
// of its own, so that the same configurations run against the real provider and the
// floor.
package main

import (
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	pbxprovider "github.com/pbx-iac/terraform-provider-pbx/internal/provider"
)

// version is set by the bench (-ldflags "-X main.version=...").
var version = "floor"

func main() {
	// The same process plumbing as the provider (main.go): the SDK's logs off
	// when no TF_LOG* variable asks for them, and each RPC's context released
	// when it returns. Neither is attribute logic, and without them the floor
	// would be slower than the provider it is the floor of.
	pbxprovider.QuietLogsFromEnv(false)
	server := func() tfprotov6.ProviderServer {
		return pbxprovider.ReleasingRPCContexts(providerserver.NewProtocol6(New(version)())())
	}
	err := tf6server.Serve("registry.terraform.io/pbx-iac/pbx", server)
	if err != nil {
		log.Fatal(err.Error())
	}
}
