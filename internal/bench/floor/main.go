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
// The bench installs the binary as terraform-provider-pbx in a dev_overrides directory
// of its own, so that the same configurations run against the real provider and the
// floor.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// version is set by the bench (-ldflags "-X main.version=...").
var version = "floor"

func main() {
	err := providerserver.Serve(context.Background(), New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/pbx-iac/pbx",
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
