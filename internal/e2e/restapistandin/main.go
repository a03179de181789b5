// Command restapistandin stands in for Mastercard/terraform-provider-restapi
// (registry.terraform.io/mastercard/restapi) in the end-to-end test of
// `moved` from restapi_object to pbx_user. That provider cannot be built
// offline here, and Terraform refuses a state whose provider is not
// installed. The stand-in serves restapi v3's restapi_object schema
// (internal/provider/resource_api_object.go at v3.0.0: the same attributes,
// types and nesting; `data` and the other JSON strings are plain strings in
// the state either way) so that a state written by restapi decodes; it never
// talks to an API: reading keeps the state, and every write fails.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return standin{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/mastercard/restapi"})
	if err != nil {
		log.Fatal(err)
	}
}

type standin struct{}

func (standin) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "restapi"
}

func (standin) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{Attributes: map[string]pschema.Attribute{
		"uri": pschema.StringAttribute{Optional: true},
	}}
}

func (standin) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (standin) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return object{} }}
}

func (standin) DataSources(context.Context) []func() datasource.DataSource { return nil }

type object struct{}

func (object) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_object"
}

func optional() schema.StringAttribute { return schema.StringAttribute{Optional: true} }

func (object) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"path":                      schema.StringAttribute{Required: true},
		"create_path":               optional(),
		"read_path":                 optional(),
		"update_path":               optional(),
		"create_method":             optional(),
		"read_method":               optional(),
		"update_method":             optional(),
		"destroy_method":            optional(),
		"destroy_path":              optional(),
		"id_attribute":              optional(),
		"object_id":                 optional(),
		"data":                      schema.StringAttribute{Required: true},
		"debug":                     schema.BoolAttribute{Optional: true},
		"query_string":              optional(),
		"force_new":                 schema.ListAttribute{ElementType: types.StringType, Optional: true},
		"read_data":                 optional(),
		"update_data":               optional(),
		"destroy_data":              optional(),
		"ignore_changes_to":         schema.ListAttribute{ElementType: types.StringType, Optional: true},
		"ignore_all_server_changes": schema.BoolAttribute{Optional: true},
		"ignore_server_additions":   schema.BoolAttribute{Optional: true},
		"read_search": schema.SingleNestedAttribute{Optional: true, Attributes: map[string]schema.Attribute{
			"query_string": optional(),
			"search_data":  optional(),
			"search_key":   schema.StringAttribute{Required: true},
			"search_value": schema.StringAttribute{Required: true},
			"results_key":  optional(),
			"search_patch": optional(),
		}},
		"create_response": schema.StringAttribute{Computed: true},
		"api_data":        schema.MapAttribute{ElementType: types.StringType, Computed: true},
		"api_response":    schema.StringAttribute{Computed: true},
		"id":              schema.StringAttribute{Computed: true},
	}}
}

const noWrites = "This stand-in for the restapi provider only decodes restapi_object states; it writes nothing."

func (object) Create(_ context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.AddError("restapi stand-in", noWrites)
}

func (object) Read(_ context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.State.Raw = req.State.Raw
}

func (object) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("restapi stand-in", noWrites)
}

func (object) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddError("restapi stand-in", noWrites)
}
