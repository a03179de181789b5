package provider

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// A test that needs a newer Terraform than the one under test skips, with
// the reason. So that no such test only ever skips, every gate is enforced
// by a make target:
//
//   - `make test` refuses a Terraform older than TEST_TERRAFORM_MIN (1.11)
//     and sets envRequireTerraform to it: the gates up to 1.11 (write-only
//     arguments, the ephemeral resource) always run there;
//   - `make test-tf114` sets envRequireTerraform to 1.14.8 and selects the
//     tests gated above TEST_TERRAFORM_MIN (TF114_TESTS);
//
// and TestVersionGatedTestsCannotSkipSilently checks both, for this package
// and internal/e2e.

// envRequireTerraform holds a Terraform version (major.minor at least): a
// test gated at or below it fails on an older Terraform instead of skipping.
const envRequireTerraform = "PBX_TEST_REQUIRE_TERRAFORM"

// The gates: write-only arguments and the ephemeral resource need Terraform
// 1.11 (ephemeral resources alone would need 1.10, but OpenTofu 1.11);
// resource identity (import blocks with identity) needs 1.12; list resources
// and terraform query need 1.14.
var (
	needsTerraform111 = needsTerraform(tfversion.Version1_11_0, tfversion.SkipBelow, tfversion.RequireAbove)
	needsTerraform112 = needsTerraform(tfversion.Version1_12_0, tfversion.SkipBelow, tfversion.RequireAbove)
	needsTerraform114 = needsTerraform(tfversion.Version1_14_0, tfversion.SkipBelow, tfversion.RequireAbove)
)

// versionSegments is what a gate reads of tfversion's versions (the module
// does not import their package, hashicorp/go-version, directly).
type versionSegments interface {
	Segments() []int
	String() string
}

// needsTerraform returns the version checks of a test that needs Terraform
// minimum: skip below it (the reason is printed with -v), or fail below it
// when envRequireTerraform is minimum or later.
func needsTerraform[V versionSegments](minimum V, skipBelow, requireAbove func(V) tfversion.TerraformVersionCheck) []tfversion.TerraformVersionCheck {
	required := os.Getenv(envRequireTerraform)
	if required == "" {
		return []tfversion.TerraformVersionCheck{skipBelow(minimum)}
	}
	major, minor, ok := parseMajorMinor(required)
	if !ok {
		return []tfversion.TerraformVersionCheck{failingCheck(fmt.Sprintf("%s=%q is not a Terraform version such as 1.11", envRequireTerraform, required))}
	}
	if s := minimum.Segments(); !versionLess(major, minor, s[0], s[1]) {
		return []tfversion.TerraformVersionCheck{requireAbove(minimum)}
	}
	return []tfversion.TerraformVersionCheck{skipBelow(minimum)}
}

// failingCheck fails every test that uses it, with msg.
type failingCheck string

func (c failingCheck) CheckTerraformVersion(_ context.Context, _ tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	resp.Error = errors.New(string(c))
}

// parseMajorMinor reads the major and minor numbers of a version such as
// 1.11 or 1.14.8.
func parseMajorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// versionLess reports whether a.b is older than c.d.
func versionLess(a, b, c, d int) bool {
	return a < c || (a == c && b < d)
}

// TestVersionGatedTestsCannotSkipSilently: every test of this package and of
// internal/e2e gated on a Terraform version (needsTerraformNNN here,
// needsTerraform(t, major, minor, …) in internal/e2e, directly or through a
// helper) runs, failing instead of skipping, in one make target:
//
//   - gated at or below TEST_TERRAFORM_MIN: `make test`, which refuses an
//     older Terraform and requires that version of the gates;
//   - gated above it: `make test-tf114`, whose TF114_TESTS selects the test
//     and whose Terraform (TF114_VERSION) is new enough.
//
// A test gated with tfversion directly fails the check: the gate would skip
// unnoticed.
func TestVersionGatedTestsCannotSkipSilently(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	makefile := string(raw)
	variable := func(name, op string) string {
		m := regexp.MustCompile(`(?m)^` + name + ` ` + regexp.QuoteMeta(op) + ` *(.+)$`).FindStringSubmatch(makefile)
		if m == nil {
			t.Fatalf("the GNUmakefile defines no %s %s", name, op)
		}
		return strings.TrimSpace(m[1])
	}
	minMajor, minMinor, ok := parseMajorMinor(variable("TEST_TERRAFORM_MIN", ":="))
	if !ok {
		t.Fatalf("TEST_TERRAFORM_MIN %q is not a version", variable("TEST_TERRAFORM_MIN", ":="))
	}
	tf114Major, tf114Minor, ok := parseMajorMinor(variable("TF114_VERSION", ":="))
	if !ok {
		t.Fatalf("TF114_VERSION %q is not a version", variable("TF114_VERSION", ":="))
	}
	// Each target requires its version of the gates.
	for target, want := range map[string]string{
		"test":       envRequireTerraform + `="$(TEST_TERRAFORM_MIN)"`,
		"test-tf114": envRequireTerraform + `="$(TF114_VERSION)"`,
	} {
		m := regexp.MustCompile(`(?ms)^` + regexp.QuoteMeta(target) + `:.*?\n\n`).FindString(makefile)
		if !strings.Contains(m, want) {
			t.Errorf("the recipe of make %s does not set %s, so its version-gated tests could skip:\n%s", target, want, m)
		}
	}
	pattern := variable("TF114_TESTS", "?=")
	// go test splits -run at every | and / outside brackets and matches the
	// parts separately, so a regexp.MatchString here only agrees with it for
	// a pattern without them (group the alternatives).
	depth := 0
	for _, c := range pattern {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '|', '/':
			if depth == 0 {
				t.Fatalf("TF114_TESTS %q has a top-level %q, where go test splits it; wrap the alternatives in a group, e.g. (?i)(a|b)", pattern, c)
			}
		}
	}
	selected, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatalf("TF114_TESTS: %v", err)
	}

	var inMakeTest, inTF114 []string
	for _, dir := range []string{".", filepath.Join("..", "e2e")} {
		gates, direct := versionGates(t, dir)
		for _, d := range direct {
			t.Errorf("%s checks the Terraform version with tfversion directly; use needsTerraform, so that a make target enforces the gate", d)
		}
		for test, g := range gates {
			name := fmt.Sprintf("%s (%s, Terraform %d.%d)", test, dir, g[0], g[1])
			if !versionLess(minMajor, minMinor, g[0], g[1]) {
				inMakeTest = append(inMakeTest, name)
				continue
			}
			inTF114 = append(inTF114, name)
			if versionLess(tf114Major, tf114Minor, g[0], g[1]) {
				t.Errorf("%s needs a Terraform newer than `make test-tf114`'s %d.%d: no target runs it", name, tf114Major, tf114Minor)
			}
			if !selected.MatchString(test) {
				t.Errorf("%s needs a newer Terraform than `make test` requires, but `make test-tf114` does not select it: "+
					"name it to match TF114_TESTS %q, or extend TF114_TESTS in the GNUmakefile", name, pattern)
			}
		}
	}
	slices.Sort(inMakeTest)
	slices.Sort(inTF114)
	t.Logf("gated tests run by make test: %v", inMakeTest)
	t.Logf("gated tests run by make test-tf114: %v", inTF114)
	if len(inMakeTest) < 3 || len(inTF114) < 4 {
		t.Fatalf("found only %v and %v gated by needsTerraform: the check itself is broken", inMakeTest, inTF114)
	}
}

// versionGates returns, for each Test function of the package in dir, the
// Terraform version it needs (through needsTerraform, or through a helper
// that does), and the functions that use tfversion's checks directly.
func versionGates(t *testing.T, dir string) (gates map[string][2]int, direct []string) {
	t.Helper()
	directSeen := map[string]bool{}
	gateVars := map[string][2]int{}
	var funcs []*ast.FuncDecl
	versionName := regexp.MustCompile(`^Version(\d+)_(\d+)_\d+$`)
	for _, tf := range parseTestFiles(t, dir) {
		file, f := tf.path, tf.ast
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Body != nil && d.Name.Name != "needsTerraform" {
					funcs = append(funcs, d)
				}
			case *ast.GenDecl:
				// var needsTerraformNNN = needsTerraform(tfversion.VersionX_Y_Z, …)
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, value := range vs.Values {
						call, ok := value.(*ast.CallExpr)
						if !ok || !isIdent(call.Fun, "needsTerraform") || len(call.Args) == 0 {
							continue
						}
						sel, ok := call.Args[0].(*ast.SelectorExpr)
						if !ok {
							t.Fatalf("%s: the version of %s is not a tfversion.VersionX_Y_Z", file, vs.Names[i].Name)
						}
						m := versionName.FindStringSubmatch(sel.Sel.Name)
						if m == nil {
							t.Fatalf("%s: the version of %s, %s, is not a tfversion.VersionX_Y_Z", file, vs.Names[i].Name, sel.Sel.Name)
						}
						major, _ := strconv.Atoi(m[1])
						minor, _ := strconv.Atoi(m[2])
						gateVars[vs.Names[i].Name] = [2]int{major, minor}
					}
				}
			}
		}
	}
	// A function's gate is the newest version it needs: a gate variable, a
	// needsTerraform(t, major, minor, …) call, or a call of a gated
	// function. Iterate until no gate changes.
	gated := map[string][2]int{}
	raise := func(name string, v [2]int) bool {
		if old, ok := gated[name]; ok && !versionLess(old[0], old[1], v[0], v[1]) {
			return false
		}
		gated[name] = v
		return true
	}
	for changed := true; changed; {
		changed = false
		for _, fn := range funcs {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					if v, ok := gateVars[n.Name]; ok {
						changed = raise(fn.Name.Name, v) || changed
					}
				case *ast.CallExpr:
					name, ok := n.Fun.(*ast.Ident)
					if !ok {
						return true
					}
					if v, ok := gated[name.Name]; ok && name.Name != fn.Name.Name {
						changed = raise(fn.Name.Name, v) || changed
					}
					if name.Name == "needsTerraform" && len(n.Args) >= 3 {
						major, ok1 := intLiteral(n.Args[1])
						minor, ok2 := intLiteral(n.Args[2])
						if !ok1 || !ok2 {
							t.Fatalf("%s: needsTerraform is called without literal major and minor versions", fn.Name.Name)
						}
						changed = raise(fn.Name.Name, [2]int{major, minor}) || changed
					}
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "tfversion" && !versionName.MatchString(n.Sel.Name) &&
						(strings.HasPrefix(n.Sel.Name, "Skip") || strings.HasPrefix(n.Sel.Name, "Require")) {
						if d := fmt.Sprintf("%s (%s)", fn.Name.Name, dir); !directSeen[d] {
							directSeen[d] = true
							direct = append(direct, d)
						}
					}
				}
				return true
			})
		}
	}
	gates = map[string][2]int{}
	for _, fn := range funcs {
		if v, ok := gated[fn.Name.Name]; ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
			gates[fn.Name.Name] = v
		}
	}
	return gates, direct
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func intLiteral(e ast.Expr) (int, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, false
	}
	n, err := strconv.Atoi(lit.Value)
	return n, err == nil
}

// testFile is one parsed _test.go file.
type testFile struct {
	path string
	ast  *ast.File
}

// parseTestFiles parses every _test.go file of the package in dir.
func parseTestFiles(t *testing.T, dir string) []testFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]testFile, 0, len(paths))
	for _, p := range paths {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testFile{p, f})
	}
	return out
}
