package provider

import (
	"go/ast"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHeavyTestsRunSomewhere: `make test` skips the tests named in the
// GNUmakefile's HEAVY_TESTS and `make test-heavy` runs exactly them (.ci/run
// runs both). Every name there must be a test of this package or of
// internal/e2e, so that a renamed heavy test cannot drop out of both, and both
// recipes must use the list with the Terraform version gate of `make test`.
func TestHeavyTestsRunSomewhere(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	makefile := string(raw)
	m := regexp.MustCompile(`(?m)^HEAVY_TESTS := \^\(([A-Za-z0-9_|]+)\)\$\$$`).FindStringSubmatch(makefile)
	if m == nil {
		t.Fatal("the GNUmakefile defines no HEAVY_TESTS := ^(TestA|TestB)$$ (test names only)")
	}
	heavy := strings.Split(m[1], "|")

	tests := map[string]bool{}
	for _, dir := range []string{".", filepath.Join("..", "e2e")} {
		for _, f := range parseTestFiles(t, dir) {
			for _, decl := range f.ast.Decls {
				if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
					tests[fn.Name.Name] = true
				}
			}
		}
	}
	for _, name := range heavy {
		if !tests[name] {
			t.Errorf("HEAVY_TESTS names %s, which is no test of internal/provider or internal/e2e: neither make test nor make test-heavy runs what it was", name)
		}
	}
	for target, want := range map[string]string{
		"test":       `-skip '$(HEAVY_TESTS)'`,
		"test-heavy": `-run '$(HEAVY_TESTS)'`,
	} {
		recipe := regexp.MustCompile(`(?ms)^` + regexp.QuoteMeta(target) + `:.*?\n\n`).FindString(makefile)
		for _, w := range []string{want, "$(check_terraform_min)", envRequireTerraform + `="$(TEST_TERRAFORM_MIN)"`} {
			if !strings.Contains(recipe, w) {
				t.Errorf("the recipe of make %s lacks %s:\n%s", target, w, recipe)
			}
		}
	}
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^make test-heavy\b`).Match(ci) {
		t.Error(".ci/run does not run make test-heavy: the heavy tests would run nowhere in CI")
	}
}
