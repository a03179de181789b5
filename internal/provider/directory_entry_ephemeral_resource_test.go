package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

// The PIN of the entry the ephemeral tests read: distinctive, so that a
// search of the whole state for it means something.
const ephemeralPIN = "739146"

func withPINEntry(c *mockpbx.Config) {
	withSeedEntry(c)
	c.Directory[0]["access"] = map[string]any{"pin": ephemeralPIN}
}

// ephemeralFactories add the echo provider, which copies an ephemeral value
// into a test resource's state so that the test can look at it.
var ephemeralFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"pbx":  testAccProtoV6ProviderFactories["pbx"],
	"echo": echoprovider.NewProviderServer(),
}

// stateLacks is a state check: no value anywhere in the state contains s.
type stateLacks string

func (c stateLacks) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if strings.Contains(string(raw), string(c)) {
		resp.Error = fmt.Errorf("the state contains %q", string(c))
	}
}

// TestAccDirectoryEntryEphemeral: the ephemeral resource reads what the data
// source reads, its result reaches a write-only argument (the extension's
// secret here), and the entry's PIN lands nowhere in the state.
func TestAccDirectoryEntryEphemeral(t *testing.T) {
	p := newTestPBX(t, withPINEntry)
	read := p.providerConfig() + fmt.Sprintf(`
ephemeral "pbx_directory_entry" "door" {
  uuid                = %q
  include_credentials = true
}
`, entryUUID)
	tfresource.ParallelTest(t, tfresource.TestCase{
		TerraformVersionChecks:   needsTerraform111, // ephemeral resources: Terraform 1.10, OpenTofu 1.11
		ProtoV6ProviderFactories: ephemeralFactories,
		CheckDestroy:             p.checkUserCount(0),
		Steps: []tfresource.TestStep{
			{
				Config: read + `
provider "echo" {
  data = ephemeral.pbx_directory_entry.door
}

resource "echo" "door" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.door", tfjsonpath.New("data").AtMapKey("name"), knownvalue.StringExact("ABCD")),
					statecheck.ExpectKnownValue("echo.door", tfjsonpath.New("data").AtMapKey("series"), knownvalue.StringExact("6423407687606431951")),
					statecheck.ExpectKnownValue("echo.door", tfjsonpath.New("data").AtMapKey("call_positions").AtSliceIndex(1).AtMapKey("peer"), knownvalue.StringExact("200")),
					statecheck.ExpectKnownValue("echo.door", tfjsonpath.New("data").AtMapKey("credentials_json"),
						knownvalue.StringRegexp(regexp.MustCompile(`"pin":"`+ephemeralPIN+`"`))),
				},
			},
			// As in the documentation's example: only the PIN is read.
			{
				Config: p.providerConfig() + fmt.Sprintf(`
ephemeral "pbx_directory_entry" "door" {
  uuid                = %q
  fields              = ["access.pin"]
  include_credentials = true
}

resource "pbx_user" "door" {
  number            = "700"
  name              = "Front door"
  secret_wo         = jsondecode(ephemeral.pbx_directory_entry.door.credentials_json).pin
  secret_wo_version = 1
}
`, entryUUID),
				ConfigStateChecks: []statecheck.StateCheck{stateLacks(ephemeralPIN)},
				Check:             p.checkStored("700", map[string]any{"secret": ephemeralPIN}),
			},
			{
				Config:      p.providerConfig() + "ephemeral \"pbx_directory_entry\" \"gone\" {\n  uuid = \"FFFFFFFF-0000-0000-0000-000000000001\"\n}\n",
				ExpectError: errorLike("Unable to read directory entry FFFFFFFF-0000-0000-0000-000000000001", "EDIR_UUID_DOES_NOT_EXIST"),
			},
		},
	})
}

// TestDirectoryEntryEphemeralSchema: the ephemeral resource has every
// attribute of the data source, with the same description and flags.
func TestDirectoryEntryEphemeralSchema(t *testing.T) {
	ctx := context.Background()
	var dresp datasource.SchemaResponse
	(&directoryEntryDataSource{}).Schema(ctx, datasource.SchemaRequest{}, &dresp)
	var eresp ephemeral.SchemaResponse
	(&directoryEntryEphemeralResource{}).Schema(ctx, ephemeral.SchemaRequest{}, &eresp)
	if eresp.Diagnostics.HasError() {
		t.Fatal(eresp.Diagnostics)
	}
	if got, want := eresp.Schema.Type().TerraformType(ctx), dresp.Schema.Type().TerraformType(ctx); !got.Equal(want) {
		t.Fatalf("ephemeral type %s, data source type %s", got, want)
	}
	for name, da := range dresp.Schema.Attributes {
		ea := eresp.Schema.Attributes[name]
		if ea.GetMarkdownDescription() != da.GetMarkdownDescription() || ea.IsSensitive() != da.IsSensitive() ||
			ea.IsRequired() != da.IsRequired() || ea.IsOptional() != da.IsOptional() || ea.IsComputed() != da.IsComputed() {
			t.Errorf("%s differs: ephemeral %+v, data source %+v", name, ea, da)
		}
	}
	if !eresp.Schema.Attributes["credentials_json"].IsSensitive() {
		t.Error("credentials_json is not sensitive")
	}
}
