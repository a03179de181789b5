package provider

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// describedAttribute is what every schema attribute type offers.
type describedAttribute interface {
	GetMarkdownDescription() string
}

// nestedAttributes returns the attributes nested in a, if any.
func nestedAttributes(a describedAttribute) map[string]describedAttribute {
	out := map[string]describedAttribute{}
	switch n := a.(type) {
	case pschema.SingleNestedAttribute:
		for k, v := range n.Attributes {
			out[k] = v
		}
	case rschema.SingleNestedAttribute:
		for k, v := range n.Attributes {
			out[k] = v
		}
	case dsschema.ListNestedAttribute:
		for k, v := range n.NestedObject.Attributes {
			out[k] = v
		}
	}
	return out
}

// undocumented lists every attribute, nested ones included (dotted), that
// has no MarkdownDescription.
func undocumented(prefix string, attrs map[string]describedAttribute) []string {
	var missing []string
	for name, a := range attrs {
		if a.GetMarkdownDescription() == "" {
			missing = append(missing, prefix+name)
		}
		missing = append(missing, undocumented(prefix+name+".", nestedAttributes(a))...)
	}
	return missing
}

func asDescribed[A describedAttribute](attrs map[string]A) map[string]describedAttribute {
	out := make(map[string]describedAttribute, len(attrs))
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

func TestSchemasAreDocumented(t *testing.T) {
	ctx := context.Background()
	var presp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &presp)
	var rresp resource.SchemaResponse
	NewUserResource().Schema(ctx, resource.SchemaRequest{}, &rresp)
	var dresp datasource.SchemaResponse
	NewDirectoryEntryDataSource().Schema(ctx, datasource.SchemaRequest{}, &dresp)

	for _, c := range []struct {
		name        string
		description string
		attrs       map[string]describedAttribute
	}{
		{"provider", presp.Schema.MarkdownDescription, asDescribed(presp.Schema.Attributes)},
		{"pbx_user", rresp.Schema.MarkdownDescription, asDescribed(rresp.Schema.Attributes)},
		{"pbx_directory_entry", dresp.Schema.MarkdownDescription, asDescribed(dresp.Schema.Attributes)},
	} {
		if c.description == "" {
			t.Errorf("%s has no MarkdownDescription", c.name)
		}
		for _, a := range undocumented("", c.attrs) {
			t.Errorf("%s attribute %s has no MarkdownDescription", c.name, a)
		}
	}
}

func TestSecretsAreSensitive(t *testing.T) {
	ctx := context.Background()
	var presp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &presp)
	for _, name := range []string{"password", "api_key"} {
		if !presp.Schema.Attributes[name].IsSensitive() {
			t.Errorf("provider %s is not sensitive", name)
		}
	}
	dir, ok := presp.Schema.Attributes["directory"].(pschema.SingleNestedAttribute)
	if !ok || !dir.Attributes["password"].IsSensitive() {
		t.Error("provider directory.password is not sensitive")
	}
	var rresp resource.SchemaResponse
	NewUserResource().Schema(ctx, resource.SchemaRequest{}, &rresp)
	if !rresp.Schema.Attributes["secret"].IsSensitive() {
		t.Error("pbx_user secret is not sensitive")
	}
}

func TestExamplesExist(t *testing.T) {
	for _, f := range []string{
		"../../examples/provider/provider.tf",
		"../../examples/resources/pbx_user/resource.tf",
		"../../examples/resources/pbx_user/import.sh",
		"../../examples/data-sources/pbx_directory_entry/data-source.tf",
		"../../examples/demo/main.tf",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("example %s: %v", f, err)
		}
	}
}
