package provider

import (
	"os"
	"strings"
)

// quietLogEnv are the log levels of terraform-plugin-go (TF_LOG_SDK,
// TF_LOG_SDK_PROTO), terraform-plugin-framework (TF_LOG_SDK_FRAMEWORK) and
// this provider's own logger (TF_LOG_PROVIDER_PBX, from the provider
// address).
var quietLogEnv = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PBX"}

// quietLogs turns the SDK's and the provider's logs off when nobody can
// read them, and reports whether it did.
//
// Unless a level is set, terraform-plugin-log logs at TRACE: every RPC
// writes dozens of JSON lines (hundreds of kB per resource, about a quarter
// of the provider's CPU in a plan of 1000 users), and Terraform parses each
// line it reads from the provider's stderr, then drops it unless TF_LOG or
// TF_LOG_PROVIDER asks for provider logs. So when no TF_LOG* variable is set
// at all (Terraform passes its environment to the provider) and the
// provider does not run in debug mode (where its stderr is the developer's
// terminal), the levels are set to OFF: nothing anybody could see is lost.
// Any TF_LOG* variable, even one Terraform itself would ignore for
// providers, leaves the levels as they are.
func quietLogs(debugMode bool, environ []string, setenv func(key, value string) error) bool {
	if debugMode {
		return false
	}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), "TF_LOG") && v != "" {
			return false
		}
	}
	for _, k := range quietLogEnv {
		if err := setenv(k, "OFF"); err != nil {
			return false
		}
	}
	return true
}

// QuietLogsFromEnv applies quietLogs to the process environment, before the
// provider serves (main.go, and the bench's floor, so that its figures are
// taken with the same logging).
func QuietLogsFromEnv(debugMode bool) bool {
	return quietLogs(debugMode, os.Environ(), os.Setenv)
}
