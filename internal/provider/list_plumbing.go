package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// The plumbing the list resources (pbx_user, pbx_directory_entry) share.

// startList reads a list block's configuration into cfg and checks that the
// provider is configured; on failure it ends the listing and reports false.
func startList(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream, cfg any, client *pbxapi.Client, what string) bool {
	diags := req.Config.Get(ctx, cfg)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return false
	}
	if client == nil {
		failList(stream, diags, "Provider not configured",
			"The pbx provider was not configured before listing "+what+". This is always a bug in the provider; please report it.")
		return false
	}
	return true
}

// failList ends a listing with diags and one more error.
func failList(stream *list.ListResultsStream, diags diag.Diagnostics, summary, detail string) {
	diags.AddError(summary, detail)
	stream.Results = list.ListResultsStreamDiagnostics(diags)
}

// streamResults sends one result per item, at most limit of them (0: all).
func streamResults[T any](stream *list.ListResultsStream, items []T, limit int64, result func(*T) list.ListResult) {
	if limit > 0 && int64(len(items)) > limit {
		items = items[:limit]
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for i := range items {
			if !push(result(&items[i])) {
				return
			}
		}
	}
}
