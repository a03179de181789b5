package main

import (
	"context"
	"math/big"
	"reflect"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestFloorWrapsEveryRealType checks that the floor serves every resource and data
// source of the real provider under the real type names.
func TestFloorWrapsEveryRealType(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var meta provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &meta)
	if meta.TypeName != "pbx" {
		t.Fatalf("provider type name %q, want pbx", meta.TypeName)
	}
	resources := map[string]bool{}
	for _, newRes := range p.Resources(ctx) {
		var m resource.MetadataResponse
		newRes().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: meta.TypeName}, &m)
		resources[m.TypeName] = true
	}
	dataSources := map[string]bool{}
	for _, newDS := range p.DataSources(ctx) {
		var m datasource.MetadataResponse
		newDS().Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: meta.TypeName}, &m)
		dataSources[m.TypeName] = true
	}
	if !resources["pbx_user"] || !dataSources["pbx_directory_entry"] {
		t.Errorf("resources %v, data sources %v; want pbx_user and pbx_directory_entry among them", resources, dataSources)
	}
}

// TestFillUnknownUserPlan fills a planned pbx_user whose computed values are unknown.
func TestFillUnknownUserPlan(t *testing.T) {
	ctx := context.Background()
	var res resource.Resource
	for _, newRes := range New("test")().Resources(ctx) {
		r := newRes()
		var m resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "pbx"}, &m)
		if m.TypeName == "pbx_user" {
			res = r
		}
	}
	if res == nil {
		t.Fatal("no pbx_user in the floor")
	}
	var s resource.SchemaResponse
	res.Schema(ctx, resource.SchemaRequest{}, &s)
	typ, ok := s.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %T is not an object", s.Schema.Type().TerraformType(ctx))
	}
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, tftypes.UnknownValue)
	}
	attrs["number"] = tftypes.NewValue(tftypes.String, "201")
	attrs["call_limit"] = tftypes.NewValue(tftypes.Number, nil)
	plan := tftypes.NewValue(typ, attrs)

	state, err := fillUnknown(plan)
	if err != nil {
		t.Fatal(err)
	}
	if !state.IsFullyKnown() {
		t.Fatalf("state has unknown values: %v", state)
	}
	var got map[string]tftypes.Value
	if err := state.As(&got); err != nil {
		t.Fatal(err)
	}
	var id, number, name string
	for key, dst := range map[string]*string{"id": &id, "number": &number, "name": &name} {
		if err := got[key].As(dst); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) || number != "201" || name != "" {
		t.Errorf("id %q, number %q, name %q; want 24 hex digits, the planned 201 and an empty name", id, number, name)
	}
	if !got["call_limit"].IsNull() {
		t.Errorf("call_limit %v: a known null must stay null", got["call_limit"])
	}
	var port big.Float
	if err := got["port"].As(&port); err != nil || port.Sign() != 0 {
		t.Errorf("port %v (%v), want the zero number", got["port"], err)
	}
}

// TestFillComputedPlural gives a plural data source of pbx_directory_entries' shape one
// entry per uuid, and fills the other computed attributes.
func TestFillComputedPlural(t *testing.T) {
	ctx := context.Background()
	schema := dsschema.Schema{Attributes: map[string]dsschema.Attribute{
		"uuids": dsschema.ListAttribute{ElementType: types.StringType, Required: true},
		"entries": dsschema.MapNestedAttribute{Computed: true, NestedObject: dsschema.NestedAttributeObject{
			Attributes: map[string]dsschema.Attribute{
				"uuid":      dsschema.StringAttribute{Computed: true},
				"name":      dsschema.StringAttribute{Computed: true},
				"timestamp": dsschema.Int64Attribute{Computed: true},
			},
		}},
		"timestamps":      dsschema.MapAttribute{Computed: true, ElementType: types.Int64Type},
		"include_entries": dsschema.BoolAttribute{Optional: true},
		"series":          dsschema.StringAttribute{Computed: true},
	}}
	typ, ok := schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %T is not an object", schema.Type().TerraformType(ctx))
	}
	uuids := []tftypes.Value{tftypes.NewValue(tftypes.String, "A"), tftypes.NewValue(tftypes.String, "B")}
	fill := func(includeEntries any) map[string]tftypes.Value {
		t.Helper()
		config := tftypes.NewValue(typ, map[string]tftypes.Value{
			"uuids":           tftypes.NewValue(typ.AttributeTypes["uuids"], uuids),
			"entries":         tftypes.NewValue(typ.AttributeTypes["entries"], nil),
			"timestamps":      tftypes.NewValue(typ.AttributeTypes["timestamps"], nil),
			"include_entries": tftypes.NewValue(tftypes.Bool, includeEntries),
			"series":          tftypes.NewValue(tftypes.String, nil),
		})
		state, err := fillComputed(schema, config)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]tftypes.Value
		if err := state.As(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := fill(false); !got["entries"].IsNull() || got["timestamps"].IsNull() {
		t.Errorf("include_entries = false: entries %v, timestamps %v; want entries null, timestamps set", got["entries"], got["timestamps"])
	}
	got := fill(nil)
	var entries, timestamps map[string]tftypes.Value
	if err := got["entries"].As(&entries); err != nil {
		t.Fatal(err)
	}
	if err := got["timestamps"].As(&timestamps); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || len(timestamps) != 2 {
		t.Fatalf("%d entries and %d timestamps, want one per uuid: %v, %v", len(entries), len(timestamps), entries, timestamps)
	}
	for key, e := range entries {
		var attrs map[string]tftypes.Value
		var uuid string
		if err := e.As(&attrs); err != nil || attrs["uuid"].As(&uuid) != nil || uuid != key {
			t.Errorf("entry %s: %v (uuid %q)", key, e, uuid)
		}
	}
	if got["series"].IsNull() {
		t.Errorf("series %v: every computed attribute must be set", got["series"])
	}
}

// TestFloorDataSourceRead reads every data source of the floor through its Read
// method: all computed attributes are set, and pbx_directory_entries (once the
// provider has it) has one entry per uuid.
func TestFloorDataSourceRead(t *testing.T) {
	ctx := context.Background()
	const uuid = "01234567-89AB-CDEF-0123-456789ABCDEF"
	for _, newDS := range New("test")().DataSources(ctx) {
		ds := newDS()
		var m datasource.MetadataResponse
		ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "pbx"}, &m)
		t.Run(m.TypeName, func(t *testing.T) {
			var s datasource.SchemaResponse
			ds.Schema(ctx, datasource.SchemaRequest{}, &s)
			typ, ok := s.Schema.Type().TerraformType(ctx).(tftypes.Object)
			if !ok {
				t.Fatalf("schema type %T is not an object", s.Schema.Type().TerraformType(ctx))
			}
			attrs := map[string]tftypes.Value{}
			for name, at := range typ.AttributeTypes {
				attrs[name] = tftypes.NewValue(at, nil)
			}
			if _, ok := typ.AttributeTypes["uuid"]; ok {
				attrs["uuid"] = tftypes.NewValue(tftypes.String, uuid)
			}
			if at, ok := typ.AttributeTypes["uuids"]; ok {
				attrs["uuids"] = tftypes.NewValue(at, []tftypes.Value{tftypes.NewValue(tftypes.String, uuid)})
			}
			req := datasource.ReadRequest{Config: tfsdk.Config{Schema: s.Schema, Raw: tftypes.NewValue(typ, attrs)}}
			resp := datasource.ReadResponse{State: tfsdk.State{Schema: s.Schema}}
			ds.Read(ctx, req, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			var got map[string]tftypes.Value
			if err := resp.State.Raw.As(&got); err != nil {
				t.Fatal(err)
			}
			for name, a := range s.Schema.Attributes {
				if a.IsComputed() && got[name].IsNull() {
					t.Errorf("computed %s is null", name)
				}
			}
			if _, plural := typ.AttributeTypes["uuids"]; plural {
				var entries map[string]tftypes.Value
				if err := got["entries"].As(&entries); err != nil || len(entries) != 1 || entries[uuid].Type() == nil {
					t.Errorf("entries %v (%v), want one entry keyed %s", got["entries"], err, uuid)
				}
			}
		})
	}
}

// TestBareFloorStripsLogic: the bare floor's schemas keep every attribute's type and
// flags and lose every validator, plan modifier and default, nested ones included.
func TestBareFloorStripsLogic(t *testing.T) {
	ctx := context.Background()
	defer func(old string) { bare = old }(bare)
	for _, b := range []string{"false", "true"} {
		bare = b
		logic := 0
		for _, newRes := range New("test")().Resources(ctx) {
			r, ok := newRes().(*floorResource)
			if !ok {
				t.Fatal("the floor's resources are not floorResource")
			}
			var orig, floor resource.SchemaResponse
			r.real.Schema(ctx, resource.SchemaRequest{}, &orig)
			r.Schema(ctx, resource.SchemaRequest{}, &floor)
			if !floor.Schema.Type().TerraformType(ctx).Equal(orig.Schema.Type().TerraformType(ctx)) {
				t.Errorf("bare=%s: the floor's type differs from the real schema's", b)
			}
			logic += countLogic(reflect.ValueOf(floor.Schema))
		}
		for _, newDS := range New("test")().DataSources(ctx) {
			var floor datasource.SchemaResponse
			newDS().Schema(ctx, datasource.SchemaRequest{}, &floor)
			logic += countLogic(reflect.ValueOf(floor.Schema))
		}
		if got := logic > 0; got != (b == "false") {
			t.Errorf("bare=%s: %d validators, plan modifiers and defaults in the floor's schemas", b, logic)
		}
	}
}

// countLogic counts the non-empty Validators, PlanModifiers and Default fields in v.
func countLogic(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return countLogic(v.Elem())
	case reflect.Map:
		n := 0
		for it := v.MapRange(); it.Next(); {
			n += countLogic(it.Value())
		}
		return n
	case reflect.Struct:
		n := 0
		for _, name := range strippedFields {
			if f := v.FieldByName(name); f.IsValid() && !f.IsZero() {
				n++
			}
		}
		for _, name := range []string{"Attributes", "NestedObject"} {
			if f := v.FieldByName(name); f.IsValid() {
				n += countLogic(f)
			}
		}
		return n
	}
	return 0
}
