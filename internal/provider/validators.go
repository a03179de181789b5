package provider

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/pbx-iac/terraform-provider-pbx/internal/pbxapi"
)

// stringCheck is a plan-time string validator defined by a check function
// that returns "" for a valid value or the reason it is invalid.
type stringCheck struct {
	description string
	check       func(string) string
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if reason := v.check(req.ConfigValue.ValueString()); reason != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("%s %s: must be %s.", req.Path, reason, v.description))
	}
}

var (
	urlValidator = func() validator.String {
		return stringCheck{"an http:// or https:// URL without credentials", checkURL}
	}
	pemValidator      = func() validator.String { return stringCheck{"PEM-encoded certificate(s)", checkPEM} }
	durationValidator = func() validator.String {
		return stringCheck{"a positive Go duration such as 30s or 2m", checkDuration}
	}
	ipMaskValidator = func() validator.String {
		return stringCheck{"an IPv4 address and dotted netmask, e.g. 192.168.1.0/255.255.255.0", checkIPMask}
	}
	uuidValidator = func() validator.String {
		return stringCheck{"a uuid XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX of hex digits, not all zeros", checkUUID}
	}
	groupValidator = func() validator.String {
		return stringCheck{"empty or a list of call groups 0-63 and ranges, e.g. 1 or 1,3-5", checkGroups}
	}
	hostValidator = func() validator.String {
		return stringCheck{"dynamic, an IPv4 address or a host name", checkHost}
	}
	moreOptionsValidator = func() validator.String {
		return stringCheck{"lines of key=value Asterisk peer options", checkMoreOptions}
	}
)

// noControl is the one rule for text sent to either device (see
// pbxapi.ControlChar): no control character (Unicode category Cc). Every
// string attribute that reaches a device has it, or a format that excludes
// control characters; values taken from a device are checked with the same
// validators (validateString).
func noControl() validator.String { return textCheck{} }

type textCheck struct{}

const textRule = "must not contain line breaks or other control characters (U+0000-U+001F, U+007F-U+009F)"

func (textCheck) Description(context.Context) string               { return textRule }
func (v textCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (textCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if reason := checkText(req.ConfigValue.ValueString()); reason != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("%s %s: %s.", req.Path, reason, textRule))
	}
}

// checkText names the first control character of s, never writing it.
func checkText(s string) string {
	if r, pos, ok := pbxapi.ControlChar(s); ok {
		return fmt.Sprintf("contains the control character %s at character %d", pbxapi.RuneName(r), pos)
	}
	return ""
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil && strings.Contains(s, "@"):
		return "is not a URL" // the value may hold credentials url.Parse could not find
	case err != nil:
		return fmt.Sprintf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q does not start with http:// or https://", u.Redacted())
	case u.Host == "":
		return fmt.Sprintf("%q has no host", u.Redacted())
	case u.User != nil:
		return fmt.Sprintf("%q contains credentials", u.Redacted())
	}
	return ""
}

func checkPEM(s string) string {
	if b, _ := pem.Decode([]byte(s)); b == nil {
		return "contains no PEM block"
	}
	return ""
}

func checkDuration(s string) string {
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		return fmt.Sprintf("%q is not a positive duration", s)
	}
	return ""
}

func parseIPv4(s string) net.IP {
	ip := net.ParseIP(s)
	if ip == nil || ip.To4() == nil || strings.Contains(s, ":") {
		return nil
	}
	return ip.To4()
}

func checkIPMask(s string) string {
	ip, mask, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Sprintf("%q has no /MASK", s)
	}
	if parseIPv4(ip) == nil {
		return fmt.Sprintf("%q has an invalid IPv4 address %q", s, ip)
	}
	m := parseIPv4(mask)
	if m == nil {
		return fmt.Sprintf("%q has an invalid netmask %q", s, mask)
	}
	if ones, bits := net.IPMask(m).Size(); ones == 0 && bits == 0 && !m.Equal(net.IPv4zero.To4()) {
		return fmt.Sprintf("%q has a non-contiguous netmask %q", s, mask)
	}
	return ""
}

func checkUUID(s string) string {
	if !pbxapi.ValidUUID(s) {
		return fmt.Sprintf("%q is not a valid directory uuid", s)
	}
	return ""
}

var groupPart = regexp.MustCompile(`^(\d{1,2})(?:-(\d{1,2}))?$`)

func checkGroups(s string) string {
	if s == "" {
		return ""
	}
	for _, part := range strings.Split(s, ",") {
		m := groupPart.FindStringSubmatch(part)
		if m == nil {
			return fmt.Sprintf("%q has an invalid group %q", s, part)
		}
		lo, _ := strconv.Atoi(m[1])
		hi := lo
		if m[2] != "" {
			hi, _ = strconv.Atoi(m[2])
		}
		if lo > 63 || hi > 63 || hi < lo {
			return fmt.Sprintf("%q has an out-of-range group %q", s, part)
		}
	}
	return ""
}

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// dottedDigits looks like an IPv4 address; as a host name it is not valid.
var dottedDigits = regexp.MustCompile(`^[0-9.]+$`)

func checkHost(s string) string {
	if s == "dynamic" || parseIPv4(s) != nil {
		return ""
	}
	if hostnamePattern.MatchString(s) && len(s) <= 253 && !dottedDigits.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not valid", s)
}

// optionKey is an Asterisk option name: no [section] header, no #directive.
var optionKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func checkMoreOptions(s string) string {
	if err := pbxapi.CheckLines("more_options", s); err != nil {
		var te *pbxapi.TextError
		if errors.As(err, &te) {
			return fmt.Sprintf("contains the control character %s at character %d (lines are separated by line feeds, \\n, only)", pbxapi.RuneName(te.Char), te.Position)
		}
	}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Sprintf("line %d (%q) is not key=value", i+1, line)
		}
		if !optionKey.MatchString(strings.TrimSpace(k)) {
			return fmt.Sprintf("line %d has the key %q, which is not an option name (letters, digits, _ and -, starting with a letter)", i+1, strings.TrimSpace(k))
		}
	}
	return ""
}
