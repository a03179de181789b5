// Command terraform-provider-pbx is the Terraform provider for Simotel PBX
// users and the 2N intercom directory.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/pbx-iac/terraform-provider-pbx/internal/provider"
)

// Format Terraform code in the examples and regenerate the documentation.
//go:generate terraform fmt -recursive ./examples/
//go:generate go tool -modfile=tools/go.mod tfplugindocs generate --provider-name pbx

// version is set by the build (goreleaser, or -ldflags "-X main.version=...").
var version = "dev"

// providerAddress is the registry address users put in required_providers.
const providerAddress = "registry.terraform.io/pbx-iac/pbx"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: providerAddress,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
