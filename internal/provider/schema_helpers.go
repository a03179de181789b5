package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// objectAsOptions decodes nested objects; pathUUID is the uuid attribute of the
// directory entry resource and data source.
var (
	objectAsOptions = basetypes.ObjectAsOptions{}
	pathUUID        = path.Root("uuid")
)

// quoteList formats enumerated values for a description: `a`, `b`.
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

// optString is an optional string attribute with a default, stated in its
// description.
func optString(description, def string, validators ...validator.String) schema.StringAttribute {
	d := "empty"
	if def != "" {
		d = "`" + def + "`"
	}
	return schema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("%s Default: %s.", description, d),
		Optional:            true,
		Computed:            true,
		Default:             stringdefault.StaticString(def),
		Validators:          validators,
	}
}
