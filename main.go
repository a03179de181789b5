// Command terraform-provider-pbx is the Terraform provider for Simotel PBX
// users and the 2N intercom directory.
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

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

	// The framework's server, with the provider's own configuration
	// generation (see provider.NewProtocol6Server).
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve(providerAddress, provider.NewProtocol6Server(version), opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}
