package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

var (
	_ provider.Provider                       = (*pbxProvider)(nil)
	_ provider.ProviderWithListResources      = (*pbxProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*pbxProvider)(nil)
)

// New returns a constructor of the provider for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &pbxProvider{version: version}
	}
}

type pbxProvider struct {
	version string
}

type pbxProviderModel struct {
	Endpoint           types.String `tfsdk:"endpoint"`
	Username           types.String `tfsdk:"username"`
	Password           types.String `tfsdk:"password"`
	APIKey             types.String `tfsdk:"api_key"`
	AuthMode           types.String `tfsdk:"auth_mode"`
	Directory          types.Object `tfsdk:"directory"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	CACertPEM          types.String `tfsdk:"ca_cert_pem"`
	RequestTimeout     types.String `tfsdk:"request_timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
	RetryMaxWait       types.String `tfsdk:"retry_max_wait"`
}

type directoryConfigModel struct {
	Endpoint types.String `tfsdk:"endpoint"`
	Username types.String `tfsdk:"username"`
	Password types.String `tfsdk:"password"`
	Auth     types.String `tfsdk:"auth"`
}

// Environment variables read when the matching attribute is not set.
const (
	envEndpoint          = "PBX_ENDPOINT"
	envUsername          = "PBX_USERNAME"
	envPassword          = "PBX_PASSWORD"
	envAPIKey            = "PBX_API_KEY"
	envAuthMode          = "PBX_AUTH_MODE"
	envDirEndpoint       = "PBX_DIRECTORY_ENDPOINT"
	envDirUsername       = "PBX_DIRECTORY_USERNAME"
	envDirPassword       = "PBX_DIRECTORY_PASSWORD"
	envDirAuth           = "PBX_DIRECTORY_AUTH"
	envInsecureSkip      = "PBX_INSECURE_SKIP_VERIFY"
	envCACertPEM         = "PBX_CA_CERT_PEM"
	envRequestTimeout    = "PBX_REQUEST_TIMEOUT"
	envMaxRetries        = "PBX_MAX_RETRIES"
	envRetryMaxWait      = "PBX_RETRY_MAX_WAIT"
	defaultTimeoutString = "30s"
)

func (p *pbxProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "pbx"
	resp.Version = p.version
}

func (p *pbxProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	dir := deviceAttributes(
		"Base URL of the intercom, e.g. `https://intercom.example.com` (the provider appends `/api/dir/...`). "+
			"Default: the PBX `endpoint`. Environment variable: `"+envDirEndpoint+"`.",
		"Intercom HTTP API account user name. Default: the PBX `username`. Environment variable: `"+envDirUsername+"`.",
		"Intercom HTTP API account password. Default: the PBX `password`. Environment variable: `"+envDirPassword+"`.")
	dir["auth"] = schema.StringAttribute{
		MarkdownDescription: "Intercom HTTP authentication: `auto` (the default), `digest`, `basic` or `none`. " +
			"`auto` answers the challenge the intercom sends: Digest whenever it is offered, Basic only over `https://`. " +
			"An intercom that asks for Basic over plain HTTP gets no answer but an error, so that a forged challenge cannot make the provider send the password unencrypted. " +
			"`digest` answers Digest only and never falls back to Basic. " +
			"`basic` sends Basic credentials with every request, also over plain HTTP, where the password travels unencrypted (prefer `https://` or Digest). " +
			"`none` sends no credentials; so does `auto` when no user name is known. Environment variable: `" + envDirAuth + "`.",
		Optional:   true,
		Validators: []validator.String{stringvalidator.OneOf(dirAuths...)},
	}
	attrs := deviceAttributes(
		"Base URL of the Simotel PBX, e.g. `https://pbx.example.com` (the provider appends `/api/v4/pbx/users/...`). "+
			"Environment variable: `"+envEndpoint+"`.",
		"API account user name for HTTP Basic authentication. Environment variable: `"+envUsername+"`.",
		"API account password for HTTP Basic authentication. Environment variable: `"+envPassword+"`.")
	maps.Copy(attrs, map[string]schema.Attribute{
		"api_key": schema.StringAttribute{
			MarkdownDescription: "API account token, sent as the `X-APIKEY` header. Environment variable: `" + envAPIKey + "`.",
			Optional:            true,
			Sensitive:           true,
		},
		"auth_mode": schema.StringAttribute{
			MarkdownDescription: "How to authenticate to the PBX: `basic` (user name and password), `token` (API key) or `both`, " +
				"as set on the PBX API account. Default: inferred from what is set (`both` when a user name and an API key are given). " +
				"Environment variable: `" + envAuthMode + "`.",
			Optional:   true,
			Validators: []validator.String{stringvalidator.OneOf(authModes...)},
		},
		"directory": schema.SingleNestedAttribute{
			MarkdownDescription: "Connection to the 2N intercom directory API, through which the provider manages and reads directory entries " +
				"(`pbx_directory_entry`, `pbx_directory_entries`) and follows the entries of users linked with `directory_uuid`. " +
				"Each unset argument defaults to the PBX one, which is how a single server serving both APIs is used.",
			Optional:   true,
			Attributes: dir,
		},
		"insecure_skip_verify": schema.BoolAttribute{
			MarkdownDescription: "Skip TLS certificate verification for both APIs. Only for tests; prefer `ca_cert_pem`. " +
				"Environment variable: `" + envInsecureSkip + "`.",
			Optional: true,
		},
		"ca_cert_pem": schema.StringAttribute{
			MarkdownDescription: "PEM-encoded CA certificate(s) to trust in addition to the system roots, for devices with a private CA. " +
				"Environment variable: `" + envCACertPEM + "`.",
			Optional:   true,
			Validators: []validator.String{pemValidator()},
		},
		"request_timeout": schema.StringAttribute{
			MarkdownDescription: "Timeout of each HTTP request, as a Go duration such as `30s` or `1m`. Default: `" + defaultTimeoutString + "`. " +
				"Environment variable: `" + envRequestTimeout + "`.",
			Optional:   true,
			Validators: []validator.String{durationValidator()},
		},
		"max_retries": schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("Bounds every call at `max_retries + 1` requests: the retries after HTTP 429, 502, 503, 504 or a connection error, "+
				"and the lookups that resolve an ambiguous create, all together. `0`: one request. Default: `%d`. Environment variable: `%s`.", pbxapi.DefaultMaxRetries, envMaxRetries),
			Optional:   true,
			Validators: []validator.Int64{int64validator.Between(0, 20)},
		},
		"retry_max_wait": schema.StringAttribute{
			MarkdownDescription: "Longest wait between two attempts, as a Go duration; it also caps a device's `Retry-After`. " +
				"Default: `" + pbxapi.DefaultRetryMaxWait.String() + "`. Environment variable: `" + envRetryMaxWait + "`.",
			Optional:   true,
			Validators: []validator.String{durationValidator()},
		},
	})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Simotel PBX extensions (`pbx_user`) and 2N intercom directory entries (`pbx_directory_entry`), " +
			"reads the directory (data sources, an ephemeral resource) and lists both for `terraform query`. Every argument can also be set through the environment variable named in its description; " +
			"an argument set in the configuration wins.",
		Attributes: attrs,
	}
}

// deviceAttributes are the endpoint, username and password arguments of one
// device, with these descriptions.
func deviceAttributes(endpoint, username, password string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"endpoint": schema.StringAttribute{MarkdownDescription: endpoint, Optional: true, Validators: []validator.String{urlValidator()}},
		"username": schema.StringAttribute{MarkdownDescription: username, Optional: true},
		"password": schema.StringAttribute{MarkdownDescription: password, Optional: true, Sensitive: true},
	}
}

// setting is one provider argument: its value in the configuration or, when
// unset there, in its environment variable, checked by the rule of the
// schema's validator (environment values reach no validator).
type setting struct {
	attr     path.Path
	env      string
	value    types.String // bool and number arguments as their decimal text
	check    stringCheck  // zero: any value
	resolved string
}

// Rules for the arguments whose schema validator is not a stringCheck.
var (
	authModes, dirAuths = []string{"basic", "token", "both"}, []string{"auto", "digest", "basic", "none"}

	checkAuthMode   = oneOfCheck(authModes...)
	checkDirAuth    = oneOfCheck(dirAuths...)
	checkMaxRetries = stringCheck{"a whole number from 0 to 20", func(s string) string {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n < 0 || n > 20 {
			return fmt.Sprintf("%q is not a whole number from 0 to 20", s)
		}
		return ""
	}}
	checkBool = stringCheck{"true or false", func(s string) string {
		if _, err := strconv.ParseBool(s); err != nil {
			return fmt.Sprintf("%q is not true or false", s)
		}
		return ""
	}}
)

// ruleOf is the rule of a stringCheck validator of the schema.
func ruleOf(v validator.String) stringCheck {
	c, _ := v.(stringCheck)
	return c
}

func oneOfCheck(values ...string) stringCheck {
	return stringCheck{"one of " + strings.Join(values, ", "), func(s string) string {
		if !slices.Contains(values, s) {
			return fmt.Sprintf("%q is not one of them", s)
		}
		return ""
	}}
}

// textOf is a bool or number argument as a string setting value.
func textOf(v interface {
	IsNull() bool
	IsUnknown() bool
	String() string
}) types.String {
	switch {
	case v.IsUnknown():
		return types.StringUnknown()
	case v.IsNull():
		return types.StringNull()
	}
	return types.StringValue(v.String())
}

// resolve reads the setting and reports an unknown or invalid value.
func (s *setting) resolve(diags *diag.Diagnostics) {
	switch {
	case s.value.IsUnknown():
		diags.AddAttributeError(s.attr, "Unknown provider configuration value",
			fmt.Sprintf("The provider cannot be configured while %s depends on a value known only after apply. "+
				"Set it from a known value, or through the %s environment variable.", s.attr, s.env))
		return
	case !s.value.IsNull():
		s.resolved = s.value.ValueString()
	default:
		s.resolved = os.Getenv(s.env)
	}
	if s.resolved == "" || s.check.check == nil {
		return
	}
	if reason := s.check.check(s.resolved); reason != "" {
		diags.AddAttributeError(s.attr, "Invalid "+s.attr.String(),
			fmt.Sprintf("%s (%s) %s: must be %s.", s.attr, s.env, reason, s.check.description))
	}
}

// duration is the resolved duration, or def when unset.
func (s *setting) duration(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s.resolved); err == nil {
		return d
	}
	return def
}

// Configure resolves every argument in the schema's order, so that the same
// configuration always gives the same diagnostics in the same order, checks
// them, and builds the client.
func (p *pbxProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg pbxProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var dir directoryConfigModel
	if cfg.Directory.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("directory"), "Unknown directory configuration",
			"The provider cannot be configured while `directory` depends on values known only after apply. "+
				"Set it from known values or through the PBX_DIRECTORY_* environment variables.")
		return
	}
	if !cfg.Directory.IsNull() {
		resp.Diagnostics.Append(cfg.Directory.As(ctx, &dir, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	dirPath := path.Root("directory")
	endpoint := &setting{attr: path.Root("endpoint"), env: envEndpoint, value: cfg.Endpoint, check: ruleOf(urlValidator())}
	username := &setting{attr: path.Root("username"), env: envUsername, value: cfg.Username}
	password := &setting{attr: path.Root("password"), env: envPassword, value: cfg.Password}
	apiKey := &setting{attr: path.Root("api_key"), env: envAPIKey, value: cfg.APIKey}
	authMode := &setting{attr: path.Root("auth_mode"), env: envAuthMode, value: cfg.AuthMode, check: checkAuthMode}
	dirEndpoint := &setting{attr: dirPath.AtName("endpoint"), env: envDirEndpoint, value: dir.Endpoint, check: ruleOf(urlValidator())}
	dirUsername := &setting{attr: dirPath.AtName("username"), env: envDirUsername, value: dir.Username}
	dirPassword := &setting{attr: dirPath.AtName("password"), env: envDirPassword, value: dir.Password}
	dirAuth := &setting{attr: dirPath.AtName("auth"), env: envDirAuth, value: dir.Auth, check: checkDirAuth}
	insecure := &setting{attr: path.Root("insecure_skip_verify"), env: envInsecureSkip, value: textOf(cfg.InsecureSkipVerify), check: checkBool}
	caCert := &setting{attr: path.Root("ca_cert_pem"), env: envCACertPEM, value: cfg.CACertPEM, check: ruleOf(pemValidator())}
	timeout := &setting{attr: path.Root("request_timeout"), env: envRequestTimeout, value: cfg.RequestTimeout, check: ruleOf(durationValidator())}
	maxRetries := &setting{attr: path.Root("max_retries"), env: envMaxRetries, value: textOf(cfg.MaxRetries), check: checkMaxRetries}
	retryWait := &setting{attr: path.Root("retry_max_wait"), env: envRetryMaxWait, value: cfg.RetryMaxWait, check: ruleOf(durationValidator())}
	for _, s := range []*setting{endpoint, username, password, apiKey, authMode, dirEndpoint, dirUsername, dirPassword, dirAuth,
		insecure, caCert, timeout, maxRetries, retryWait} {
		s.resolve(&resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	if endpoint.resolved == "" {
		resp.Diagnostics.AddAttributeError(endpoint.attr, "Missing PBX endpoint",
			"The provider needs the PBX base URL. Set `endpoint` in the provider block or the "+envEndpoint+" environment variable, "+
				"e.g. https://pbx.example.com.")
	}
	mode := authMode.resolved
	if mode == "" {
		mode = string(pbxapi.InferAuthMode(username.resolved, apiKey.resolved))
	}
	switch {
	case username.resolved == "" && apiKey.resolved == "" && authMode.resolved == "":
		resp.Diagnostics.AddAttributeError(apiKey.attr, "Missing PBX credentials",
			"The provider needs a PBX API account: set `api_key` (or "+envAPIKey+"), or `username` and `password` "+
				"(or "+envUsername+" and "+envPassword+"), or both, as the account's authentication mode requires.")
	default:
		for _, need := range []struct {
			s     *setting
			modes []string
			what  string
		}{
			{username, []string{"basic", "both"}, "user name"},
			{password, []string{"basic", "both"}, "password"},
			{apiKey, []string{"token", "both"}, "API key"},
		} {
			if need.s.resolved == "" && slices.Contains(need.modes, mode) {
				resp.Diagnostics.AddAttributeError(need.s.attr, "Missing PBX "+need.what,
					fmt.Sprintf("auth_mode %q needs the API account's %s: set `%s` or the %s environment variable.", mode, need.what, need.s.attr, need.s.env))
			}
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	skipVerify, _ := strconv.ParseBool(insecure.resolved)
	retries, _ := strconv.Atoi(maxRetries.resolved)
	switch {
	case maxRetries.resolved == "":
		retries = pbxapi.DefaultMaxRetries
	case retries == 0:
		retries = -1 // the client's "no retries"
	}
	client, err := pbxapi.New(pbxapi.Config{
		Endpoint: endpoint.resolved,
		AuthMode: pbxapi.AuthMode(mode),
		Username: username.resolved,
		Password: password.resolved,
		APIKey:   apiKey.resolved,
		Directory: pbxapi.DirectoryConfig{
			Endpoint: dirEndpoint.resolved,
			Username: dirUsername.resolved,
			Password: dirPassword.resolved,
			Auth:     pbxapi.DirectoryAuth(dirAuth.resolved),
		},
		InsecureSkipVerify: skipVerify,
		CACertPEM:          caCert.resolved,
		RequestTimeout:     timeout.duration(pbxapi.DefaultRequestTimeout),
		MaxRetries:         retries,
		RetryMaxWait:       retryWait.duration(pbxapi.DefaultRetryMaxWait),
		UserAgent:          fmt.Sprintf("terraform-provider-pbx/%s (+https://registry.terraform.io/providers/pbx-iac/pbx) Terraform/%s", p.version, req.TerraformVersion),
		Logger:             tflogger,
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to configure the PBX client", err.Error())
		return
	}
	resp.ResourceData = client
	resp.DataSourceData = client
	resp.ListResourceData = client
	resp.EphemeralResourceData = client
}

// clientFrom returns the client the provider's Configure made, or nil before
// the provider is configured (validation) or after an error.
func clientFrom(providerData any, diags *diag.Diagnostics) *pbxapi.Client {
	if providerData == nil {
		return nil
	}
	client, ok := providerData.(*pbxapi.Client)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *pbxapi.Client, got %T. This is always a bug in the provider; please report it.", providerData))
		return nil
	}
	return client
}

// tflogger sends the client's request log lines to Terraform's log at DEBUG.
// The client never puts bodies or credentials in fields.
func tflogger(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

func (p *pbxProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewUserResource, NewDirectoryEntryResource}
}

func (p *pbxProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewUserListResource, NewDirectoryEntryListResource}
}

func (p *pbxProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewDirectoryEntryEphemeralResource}
}

func (p *pbxProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewDirectoryEntryDataSource, NewDirectoryEntriesDataSource, NewUsersDataSource}
}
