// Command terraform-provider-pbx is the Terraform provider for Simotel PBX
// users and the 2N intercom directory.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

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

// memoryLimit is the process's soft memory limit when GOMEMLIMIT does not set
// one. Terraform sends one RPC per resource and the framework allocates a lot
// for each, of which little stays live: without a limit the heap grows to
// about twice its peak between collections, hundreds of MB in plans of
// thousands of resources (BENCHMARKS.md). Under the limit the collector runs
// sooner; a live heap above it only costs more collection time.
const memoryLimit = 96 << 20

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	provider.QuietLogsFromEnv(debugMode)
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		followLiveHeap(memoryLimit)
	}

	// The framework's server, with the provider's own configuration
	// generation (see provider.NewProtocol6Server).
	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	stopProfiles := startProfiles(os.Getenv("PBX_PROFILE"))
	err := tf6server.Serve(providerAddress, provider.NewProtocol6Server(version), opts...)
	stopProfiles()
	if err != nil {
		log.Fatal(err.Error())
	}
}
