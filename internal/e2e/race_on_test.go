//go:build race

package e2e

// raceEnabled: the tests run with -race, so the provider they drive through
// the CLI is built with it too where a test asks for that.
const raceEnabled = true
