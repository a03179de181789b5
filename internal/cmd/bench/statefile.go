package main

// A Terraform state written directly, for the big sites: applying 5000 or 10,000 users
// through Terraform would not fit the budget, so the bench seeds the mock with the users
// and writes the state an apply would have left.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/pbx-iac/terraform-provider-pbx/internal/provider"
)

// userResourceType is the resource the big sites hold, and stateProvider its provider
// address in the state (the provider and the floors share it through dev_overrides).
const (
	userResourceType = "pbx_user"
	stateProvider    = `provider["registry.terraform.io/pbx-iac/pbx"]`
)

// siteUser is one user of a big site as the configuration and the device have it.
type siteUser struct {
	key, id, number, name, secret string
	// Linked users (directory_uuid set): the entry, its e-mail and timestamp. name is then
	// the entry's name, which the user follows.
	dirUUID, email string
	dirTimestamp   int64
}

// siteUserFor is user i of the bench's users configuration (generateConfig): the even
// ones linked to entry i, the odd ones named; id is the _id the mock holds it under.
func siteUserFor(i int) siteUser {
	u := siteUser{key: fmt.Sprintf("u%05d", i), id: fmt.Sprintf("be0c%020x", i+1), number: userNumber(i), secret: userSecret(i)}
	if i%2 == 0 {
		e := entryFor(i)
		u.dirUUID, u.name, u.email = e.uuid, e.name, e.email
	} else {
		u.name = fmt.Sprintf("User %05d", i)
	}
	return u
}

// stateOptions say whose state is written.
type stateOptions struct {
	terraformVersion string // e.g. "1.11.4": Terraform refuses a state written by a newer version
	// floor: the state of internal/bench/floor in bare mode, which keeps the plan as state
	// and fills every computed value the configuration leaves unknown with its type's zero
	// value (it has no defaults); no identity, no private state. Otherwise the provider's.
	floor bool
	// identity: write each instance's resource identity (Terraform 1.12 and later store it).
	identity bool
	// series and watermark of the directory (the provider's record of linked users).
	series    string
	watermark int64
}

// userSchemas are pbx_user's resource and identity schemas, from the provider itself.
type userSchemas struct {
	resource schema.Schema
	identity *identityschema.Schema // nil when the resource has no identity
}

func loadUserSchemas(ctx context.Context) (userSchemas, error) {
	p := provider.New("bench")()
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "pbx"}, &meta)
		if meta.TypeName != userResourceType {
			continue
		}
		var s userSchemas
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		if sr.Diagnostics.HasError() {
			return s, fmt.Errorf("%s schema: %v", userResourceType, sr.Diagnostics)
		}
		s.resource = sr.Schema
		if ri, ok := r.(resource.ResourceWithIdentity); ok {
			var ir resource.IdentitySchemaResponse
			ri.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
			if ir.Diagnostics.HasError() {
				return s, fmt.Errorf("%s identity schema: %v", userResourceType, ir.Diagnostics)
			}
			s.identity = &ir.IdentitySchema
		}
		return s, nil
	}
	return userSchemas{}, fmt.Errorf("the provider has no %s resource", userResourceType)
}

// stateInstance is one resource instance of a version 4 state file.
type stateInstance struct {
	IndexKey              string         `json:"index_key"`
	SchemaVersion         int64          `json:"schema_version"`
	Attributes            map[string]any `json:"attributes"`
	SensitiveAttributes   [][]stateStep  `json:"sensitive_attributes"`
	IdentitySchemaVersion *int64         `json:"identity_schema_version,omitempty"`
	Identity              map[string]any `json:"identity,omitempty"`
	Private               []byte         `json:"private,omitempty"` // base64 in JSON, as Terraform writes it
}

type stateStep struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type stateResource struct {
	Mode      string          `json:"mode"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Provider  string          `json:"provider"`
	Instances []stateInstance `json:"instances"`
}

type stateFile struct {
	Version          int             `json:"version"`
	TerraformVersion string          `json:"terraform_version"`
	Serial           int             `json:"serial"`
	Lineage          string          `json:"lineage"`
	Outputs          map[string]any  `json:"outputs"`
	Resources        []stateResource `json:"resources"`
	CheckResults     any             `json:"check_results"`
}

// userState returns the state an apply of users would leave: one pbx_user "user" with an
// instance per user (for_each keys). Every attribute comes from the schema: write-only ones
// are null, the user's own values (configured, read from the device or from its directory
// entry) come from u, unset optional ones take their default or are null. An attribute the
// bench does not know how the provider fills is an error, so a new computed attribute
// cannot silently make the plan not empty.
func userState(ctx context.Context, s userSchemas, users []siteUser, o stateOptions) ([]byte, error) {
	res := stateResource{Mode: "managed", Type: userResourceType, Name: "user", Provider: stateProvider}
	names := make([]string, 0, len(s.resource.Attributes))
	for name := range s.resource.Attributes {
		names = append(names, name)
	}
	slices.Sort(names)
	var sensitive [][]stateStep
	for _, name := range names {
		if a := s.resource.Attributes[name]; a.IsSensitive() || a.IsWriteOnly() {
			sensitive = append(sensitive, []stateStep{{Type: "get_attr", Value: name}})
		}
	}
	defaultsByName := map[string]any{}
	for _, name := range names {
		if v, ok, err := attributeDefault(ctx, s.resource.Attributes[name]); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", userResourceType, name, err)
		} else if ok {
			defaultsByName[name] = v
		}
	}
	for _, u := range users {
		known := u.values(o)
		inst := stateInstance{IndexKey: u.key, SchemaVersion: s.resource.Version, Attributes: map[string]any{}, SensitiveAttributes: sensitive}
		for _, name := range names {
			a := s.resource.Attributes[name]
			v, ok := known[name]
			switch {
			case a.IsWriteOnly():
				v = nil
			case ok:
			case o.floor && a.IsComputed():
				v = zeroJSON(a.GetType().TerraformType(ctx))
			case defaultsByName[name] != nil:
				v = defaultsByName[name]
			case a.IsOptional() && !a.IsComputed():
				v = nil
			default:
				return nil, fmt.Errorf("%s.%s: the bench does not know what the provider stores in this computed attribute; "+
					"teach siteUser.values (internal/cmd/bench/statefile.go)", userResourceType, name)
			}
			inst.Attributes[name] = v
		}
		for name := range known {
			if _, ok := s.resource.Attributes[name]; !ok {
				return nil, fmt.Errorf("%s has no attribute %q any more; update siteUser.values (internal/cmd/bench/statefile.go)", userResourceType, name)
			}
		}
		if !o.floor {
			if o.identity && s.identity != nil {
				version := s.identity.Version
				inst.IdentitySchemaVersion = &version
				inst.Identity = map[string]any{"id": u.id}
			}
			if u.dirUUID != "" {
				p, err := linkedPrivate(u, o)
				if err != nil {
					return nil, err
				}
				inst.Private = p
			}
		}
		res.Instances = append(res.Instances, inst)
	}
	lineage, err := newLineage()
	if err != nil {
		return nil, err
	}
	f := stateFile{Version: 4, TerraformVersion: o.terraformVersion, Serial: 1, Lineage: lineage, Outputs: map[string]any{}, Resources: []stateResource{res}}
	return json.MarshalIndent(f, "", "  ")
}

// values are the attributes of u that are neither defaults nor null: the configured ones,
// the _id, and what a linked user follows from its entry (name, email) and records of it.
func (u siteUser) values(o stateOptions) map[string]any {
	v := map[string]any{"id": u.id, "number": u.number, "name": u.name, "secret": u.secret}
	if o.floor {
		// The floor keeps the configuration: a linked user's name is not configured.
		if u.dirUUID != "" {
			v["name"] = ""
			v["directory_uuid"] = u.dirUUID
		} else {
			v["directory_uuid"] = nil
		}
		return v
	}
	if u.dirUUID == "" {
		v["email"] = ""
		v["directory_uuid"], v["directory_timestamp"], v["directory_series"] = nil, nil, nil
		return v
	}
	v["email"] = u.email
	v["directory_uuid"], v["directory_timestamp"], v["directory_series"] = u.dirUUID, u.dirTimestamp, o.series
	return v
}

// linkedPrivate is the private state the provider keeps for a linked user: under the
// key "directory", the entry's uuid, the directory watermark of the last read, and the
// followed name and e-mail; encoded as the framework does (a JSON object of base64 values).
func linkedPrivate(u siteUser, o stateOptions) ([]byte, error) {
	followed, err := json.Marshal(struct {
		UUID      string `json:"uuid"`
		Watermark int64  `json:"watermark,omitempty"`
		Name      string `json:"name"`
		Email     string `json:"email"`
	}{u.dirUUID, o.watermark, u.name, u.email})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string][]byte{"directory": followed})
}

// attributeDefault is the schema default of an attribute as a state JSON value.
func attributeDefault(ctx context.Context, a schema.Attribute) (any, bool, error) {
	var v attr.Value
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return nil, false, nil
		}
		var r defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &r)
		v = r.PlanValue
	case schema.BoolAttribute:
		if a.Default == nil {
			return nil, false, nil
		}
		var r defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &r)
		v = r.PlanValue
	case schema.Int64Attribute:
		if a.Default == nil {
			return nil, false, nil
		}
		var r defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &r)
		v = r.PlanValue
	case schema.SingleNestedAttribute:
		if a.Default == nil {
			return nil, false, nil
		}
		var r defaults.ObjectResponse
		a.Default.DefaultObject(ctx, defaults.ObjectRequest{}, &r)
		v = r.PlanValue
	default:
		return nil, false, nil // an attribute type whose default the bench does not read: none
	}
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		return nil, false, err
	}
	j, err := tfJSON(tv)
	return j, err == nil, err
}

// tfJSON converts a value to its JSON form in a state file.
func tfJSON(v tftypes.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, errors.New("unknown value")
	}
	t := v.Type()
	switch {
	case t.Is(tftypes.String):
		var s string
		err := v.As(&s)
		return s, err
	case t.Is(tftypes.Bool):
		var b bool
		err := v.As(&b)
		return b, err
	case t.Is(tftypes.Number):
		var f big.Float
		if err := v.As(&f); err != nil {
			return nil, err
		}
		if i, acc := f.Int64(); acc == big.Exact {
			return i, nil
		}
		x, _ := f.Float64()
		return x, nil
	case t.Is(tftypes.Object{}), t.Is(tftypes.Map{}):
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			j, err := tfJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	case t.Is(tftypes.List{}), t.Is(tftypes.Set{}), t.Is(tftypes.Tuple{}):
		var l []tftypes.Value
		if err := v.As(&l); err != nil {
			return nil, err
		}
		out := make([]any, len(l))
		for i, e := range l {
			j, err := tfJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %s is not handled", t)
}

// zeroJSON is the zero value of a type as the floor fills it: "", false, 0, an object of
// zero values, an empty collection.
func zeroJSON(t tftypes.Type) any {
	switch {
	case t.Is(tftypes.String):
		return ""
	case t.Is(tftypes.Bool):
		return false
	case t.Is(tftypes.Number):
		return 0
	case t.Is(tftypes.Object{}):
		o, _ := t.(tftypes.Object)
		out := map[string]any{}
		for k, at := range o.AttributeTypes {
			out[k] = zeroJSON(at)
		}
		return out
	case t.Is(tftypes.Map{}):
		return map[string]any{}
	}
	return []any{}
}

func newLineage() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
