// Package provider implements the pbx Terraform provider: the provider
// configuration, the pbx_user resource and the pbx_directory_entry data
// source. It talks to the devices only through internal/pbxapi.
package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
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
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Simotel PBX extensions (`pbx_user`) and reads the 2N intercom directory " +
			"(`pbx_directory_entry`). Every argument can also be set through the environment variable named in its description; " +
			"an argument set in the configuration wins.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Simotel PBX, e.g. `https://pbx.example.com` (the provider appends `/api/v4/pbx/users/...`). " +
					"Environment variable: `" + envEndpoint + "`.",
				Optional:   true,
				Validators: []validator.String{urlValidator()},
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "API account user name for HTTP Basic authentication. Environment variable: `" + envUsername + "`.",
				Optional:            true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "API account password for HTTP Basic authentication. Environment variable: `" + envPassword + "`.",
				Optional:            true,
				Sensitive:           true,
			},
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
				Validators: []validator.String{stringvalidator.OneOf("basic", "token", "both")},
			},
			"directory": schema.SingleNestedAttribute{
				MarkdownDescription: "Connection to the 2N intercom directory API, read by `pbx_directory_entry`. " +
					"Each unset argument defaults to the PBX one, which is how a single server serving both APIs is used.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"endpoint": schema.StringAttribute{
						MarkdownDescription: "Base URL of the intercom, e.g. `https://intercom.example.com` (the provider appends `/api/dir/...`). " +
							"Default: the PBX `endpoint`. Environment variable: `" + envDirEndpoint + "`.",
						Optional:   true,
						Validators: []validator.String{urlValidator()},
					},
					"username": schema.StringAttribute{
						MarkdownDescription: "Intercom HTTP API account user name. Default: the PBX `username`. Environment variable: `" + envDirUsername + "`.",
						Optional:            true,
					},
					"password": schema.StringAttribute{
						MarkdownDescription: "Intercom HTTP API account password. Default: the PBX `password`. Environment variable: `" + envDirPassword + "`.",
						Optional:            true,
						Sensitive:           true,
					},
					"auth": schema.StringAttribute{
						MarkdownDescription: "Intercom HTTP authentication: `auto` (the default), `digest`, `basic` or `none`. " +
							"`auto` answers the challenge the intercom sends: Digest whenever it is offered, Basic only over `https://`. " +
							"An intercom that asks for Basic over plain HTTP gets no answer but an error, so that a forged challenge cannot make the provider send the password unencrypted. " +
							"`digest` answers Digest only and never falls back to Basic. " +
							"`basic` sends Basic credentials with every request, also over plain HTTP, where the password travels unencrypted (prefer `https://` or Digest). " +
							"`none` sends no credentials; so does `auto` when no user name is known. Environment variable: `" + envDirAuth + "`.",
						Optional:   true,
						Validators: []validator.String{stringvalidator.OneOf("auto", "digest", "basic", "none")},
					},
				},
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
		},
	}
}

// setting resolves one configured value: the attribute if set, else the
// environment variable.
type setting struct {
	value   types.String
	attr    path.Path
	env     string
	resolve string
}

// duration parses a resolved duration setting; def when unset.
func (s *setting) duration(def time.Duration, diags *diag.Diagnostics) time.Duration {
	if s.resolve == "" {
		return def
	}
	d, err := time.ParseDuration(s.resolve)
	if err != nil || d <= 0 {
		diags.AddAttributeError(s.attr, "Invalid "+s.attr.String(),
			fmt.Sprintf("%s (%s) must be a positive Go duration such as 30s, got %q.", s.attr, s.env, s.resolve))
	}
	return d
}

func (p *pbxProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg pbxProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var dir directoryConfigModel
	if !cfg.Directory.IsNull() && !cfg.Directory.IsUnknown() {
		resp.Diagnostics.Append(cfg.Directory.As(ctx, &dir, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if cfg.Directory.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("directory"), "Unknown directory configuration",
			"The provider cannot be configured while `directory` depends on values known only after apply. "+
				"Set it from known values or through the PBX_DIRECTORY_* environment variables.")
		return
	}

	dirPath := path.Root("directory")
	values := map[string]*setting{
		"endpoint":     {value: cfg.Endpoint, attr: path.Root("endpoint"), env: envEndpoint},
		"username":     {value: cfg.Username, attr: path.Root("username"), env: envUsername},
		"password":     {value: cfg.Password, attr: path.Root("password"), env: envPassword},
		"api_key":      {value: cfg.APIKey, attr: path.Root("api_key"), env: envAPIKey},
		"auth_mode":    {value: cfg.AuthMode, attr: path.Root("auth_mode"), env: envAuthMode},
		"ca_cert_pem":  {value: cfg.CACertPEM, attr: path.Root("ca_cert_pem"), env: envCACertPEM},
		"timeout":      {value: cfg.RequestTimeout, attr: path.Root("request_timeout"), env: envRequestTimeout},
		"retry_wait":   {value: cfg.RetryMaxWait, attr: path.Root("retry_max_wait"), env: envRetryMaxWait},
		"dir_endpoint": {value: dir.Endpoint, attr: dirPath.AtName("endpoint"), env: envDirEndpoint},
		"dir_username": {value: dir.Username, attr: dirPath.AtName("username"), env: envDirUsername},
		"dir_password": {value: dir.Password, attr: dirPath.AtName("password"), env: envDirPassword},
		"dir_auth":     {value: dir.Auth, attr: dirPath.AtName("auth"), env: envDirAuth},
	}
	for _, s := range values {
		switch {
		case s.value.IsUnknown():
			resp.Diagnostics.AddAttributeError(s.attr, "Unknown provider configuration value",
				fmt.Sprintf("The provider cannot be configured while %s depends on a value known only after apply. "+
					"Set it from a known value, or through the %s environment variable.", s.attr, s.env))
		case !s.value.IsNull():
			s.resolve = s.value.ValueString()
		default:
			s.resolve = os.Getenv(s.env)
		}
	}
	insecure := cfg.InsecureSkipVerify.ValueBool()
	if cfg.InsecureSkipVerify.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("insecure_skip_verify"), "Unknown provider configuration value",
			"The provider cannot be configured while insecure_skip_verify depends on a value known only after apply.")
	}
	if cfg.InsecureSkipVerify.IsNull() {
		if v := os.Getenv(envInsecureSkip); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("insecure_skip_verify"), "Invalid "+envInsecureSkip,
					fmt.Sprintf("%s must be true or false, got %q.", envInsecureSkip, v))
			}
			insecure = b
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	if values["endpoint"].resolve == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing PBX endpoint",
			"The provider needs the PBX base URL. Set `endpoint` in the provider block or the "+envEndpoint+" environment variable, "+
				"e.g. https://pbx.example.com.")
	}
	username, password, apiKey := values["username"].resolve, values["password"].resolve, values["api_key"].resolve
	mode := values["auth_mode"].resolve
	if mode == "" {
		mode = string(pbxapi.InferAuthMode(username, apiKey))
	}
	if username == "" && apiKey == "" && values["auth_mode"].resolve == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing PBX credentials",
			"The provider needs a PBX API account: set `api_key` (or "+envAPIKey+"), or `username` and `password` "+
				"(or "+envUsername+" and "+envPassword+"), or both, as the account's authentication mode requires.")
	} else {
		switch mode {
		case "basic", "both":
			if username == "" {
				resp.Diagnostics.AddAttributeError(path.Root("username"), "Missing PBX user name",
					fmt.Sprintf("auth_mode %q needs the API account user name: set `username` or the %s environment variable.", mode, envUsername))
			}
			if password == "" {
				resp.Diagnostics.AddAttributeError(path.Root("password"), "Missing PBX password",
					fmt.Sprintf("auth_mode %q needs the API account password: set `password` or the %s environment variable.", mode, envPassword))
			}
		case "token":
		default:
			resp.Diagnostics.AddAttributeError(path.Root("auth_mode"), "Invalid auth_mode",
				fmt.Sprintf("%s must be basic, token or both, got %q.", envAuthMode, mode))
		}
		if (mode == "token" || mode == "both") && apiKey == "" {
			resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing PBX API key",
				fmt.Sprintf("auth_mode %q needs the API account token: set `api_key` or the %s environment variable.", mode, envAPIKey))
		}
	}
	timeout := values["timeout"].duration(pbxapi.DefaultRequestTimeout, &resp.Diagnostics)
	retryWait := values["retry_wait"].duration(pbxapi.DefaultRetryMaxWait, &resp.Diagnostics)
	maxRetries := int64(pbxapi.DefaultMaxRetries)
	switch {
	case cfg.MaxRetries.IsUnknown():
		resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Unknown provider configuration value",
			"The provider cannot be configured while max_retries depends on a value known only after apply.")
	case !cfg.MaxRetries.IsNull():
		maxRetries = cfg.MaxRetries.ValueInt64()
	case os.Getenv(envMaxRetries) != "":
		n, err := strconv.ParseInt(os.Getenv(envMaxRetries), 10, 64)
		if err != nil || n < 0 || n > 20 {
			resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Invalid "+envMaxRetries,
				fmt.Sprintf("%s must be a whole number from 0 to 20, got %q.", envMaxRetries, os.Getenv(envMaxRetries)))
		}
		maxRetries = n
	}
	if maxRetries == 0 {
		maxRetries = -1 // the client's "no retries"
	}
	if v := values["dir_auth"].resolve; v != "" && v != "auto" && v != "none" && v != "basic" && v != "digest" {
		resp.Diagnostics.AddAttributeError(dirPath.AtName("auth"), "Invalid directory auth",
			fmt.Sprintf("directory.auth (%s) must be auto, digest, basic or none, got %q. Leave it unset (or auto) to answer the intercom's challenge.", envDirAuth, v))
	}
	if resp.Diagnostics.HasError() {
		return
	}

	client, err := pbxapi.New(pbxapi.Config{
		Endpoint: values["endpoint"].resolve,
		AuthMode: pbxapi.AuthMode(mode),
		Username: username,
		Password: password,
		APIKey:   apiKey,
		Directory: pbxapi.DirectoryConfig{
			Endpoint: values["dir_endpoint"].resolve,
			Username: values["dir_username"].resolve,
			Password: values["dir_password"].resolve,
			Auth:     pbxapi.DirectoryAuth(values["dir_auth"].resolve),
		},
		InsecureSkipVerify: insecure,
		CACertPEM:          values["ca_cert_pem"].resolve,
		RequestTimeout:     timeout,
		MaxRetries:         int(maxRetries),
		RetryMaxWait:       retryWait,
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
	return []func() datasource.DataSource{NewDirectoryEntryDataSource, NewDirectoryEntriesDataSource}
}
