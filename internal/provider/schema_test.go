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

// walk calls fn for every attribute, nested ones included, by dotted name.
func walk(prefix string, attrs map[string]describedAttribute, nested func(name string, a describedAttribute) map[string]describedAttribute, fn func(string, describedAttribute)) {
	for name, a := range attrs {
		full := prefix + name
		fn(full, a)
		if sub := nested(name, a); sub != nil {
			walk(full+".", sub, nested, fn)
		}
	}
}

func TestSchemasAreDocumented(t *testing.T) {
	ctx := context.Background()
	check := func(kind, name, desc string) {
		if desc == "" {
			t.Errorf("%s %s has no MarkdownDescription", kind, name)
		}
	}

	var presp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &presp)
	check("provider", "pbx", presp.Schema.MarkdownDescription)
	pattrs := map[string]describedAttribute{}
	for k, v := range presp.Schema.Attributes {
		pattrs[k] = v
	}
	walk("", pattrs, func(_ string, a describedAttribute) map[string]describedAttribute {
		if n, ok := a.(pschema.SingleNestedAttribute); ok {
			out := map[string]describedAttribute{}
			for k, v := range n.Attributes {
				out[k] = v
			}
			return out
		}
		return nil
	}, func(n string, a describedAttribute) { check("provider attribute", n, a.GetMarkdownDescription()) })

	var rresp resource.SchemaResponse
	NewUserResource().Schema(ctx, resource.SchemaRequest{}, &rresp)
	check("resource", "pbx_user", rresp.Schema.MarkdownDescription)
	rattrs := map[string]describedAttribute{}
	for k, v := range rresp.Schema.Attributes {
		rattrs[k] = v
	}
	walk("", rattrs, func(_ string, a describedAttribute) map[string]describedAttribute {
		if n, ok := a.(rschema.SingleNestedAttribute); ok {
			out := map[string]describedAttribute{}
			for k, v := range n.Attributes {
				out[k] = v
			}
			return out
		}
		return nil
	}, func(n string, a describedAttribute) { check("pbx_user attribute", n, a.GetMarkdownDescription()) })

	var dresp datasource.SchemaResponse
	NewDirectoryEntryDataSource().Schema(ctx, datasource.SchemaRequest{}, &dresp)
	check("data source", "pbx_directory_entry", dresp.Schema.MarkdownDescription)
	dattrs := map[string]describedAttribute{}
	for k, v := range dresp.Schema.Attributes {
		dattrs[k] = v
	}
	walk("", dattrs, func(_ string, a describedAttribute) map[string]describedAttribute {
		if n, ok := a.(dsschema.ListNestedAttribute); ok {
			out := map[string]describedAttribute{}
			for k, v := range n.NestedObject.Attributes {
				out[k] = v
			}
			return out
		}
		return nil
	}, func(n string, a describedAttribute) {
		check("pbx_directory_entry attribute", n, a.GetMarkdownDescription())
	})

	for _, diags := range []interface{ HasError() bool }{presp.Diagnostics, rresp.Diagnostics, dresp.Diagnostics} {
		if diags.HasError() {
			t.Fatalf("schema diagnostics: %v", diags)
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
