package main

import (
	"context"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// bare, set by the bench (-ldflags "-X main.bare=true"), makes the floor serve the
// bare attribute shape: the real schemas with every validator, plan modifier and
// default removed. Attribute names, types and flags (required, optional, computed,
// sensitive, write-only) stay, so the same configurations fit. Its cost is what
// Terraform and the framework alone spend on that shape; the schema floor (bare
// unset) adds what the schemas' own logic costs.
var bare = "false"

func isBare() bool { return bare == "true" }

// strippedFields are the schema logic the bare floor leaves out, wherever they
// occur (attributes and nested objects).
var strippedFields = []string{"Validators", "PlanModifiers", "Default"}

// stripLogic returns a copy of a schema attribute (or nested object) without
// strippedFields, recursively through nested attributes.
func stripLogic[T any](a T) T {
	v := reflect.New(reflect.TypeOf(a)).Elem()
	v.Set(reflect.ValueOf(a))
	stripValue(v)
	out, _ := v.Interface().(T) // v was made of type T
	return out
}

func stripValue(v reflect.Value) {
	if v.Kind() == reflect.Interface && !v.IsNil() {
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		stripValue(c)
		v.Set(c)
		return
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for _, name := range strippedFields {
		if f := v.FieldByName(name); f.IsValid() && f.CanSet() {
			f.SetZero()
		}
	}
	if f := v.FieldByName("NestedObject"); f.IsValid() && f.CanSet() {
		stripValue(f)
	}
	if f := v.FieldByName("Attributes"); f.IsValid() && f.CanSet() && f.Kind() == reflect.Map && !f.IsNil() {
		m := reflect.MakeMapWithSize(f.Type(), f.Len())
		iter := f.MapRange()
		for iter.Next() {
			e := reflect.New(f.Type().Elem()).Elem()
			e.Set(iter.Value())
			stripValue(e)
			m.SetMapIndex(iter.Key(), e)
		}
		f.Set(m)
	}
}

// resourceSchema is the real resource's schema, bare when the floor is.
func resourceSchema(ctx context.Context, wrapped resource.Resource, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	wrapped.Schema(ctx, req, resp)
	if isBare() {
		resp.Schema = stripLogic(resp.Schema)
	}
}

// dataSourceSchema is the real data source's schema, bare when the floor is.
func dataSourceSchema(ctx context.Context, wrapped datasource.DataSource, req datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	wrapped.Schema(ctx, req, resp)
	if isBare() {
		resp.Schema = stripLogic(resp.Schema)
	}
}
