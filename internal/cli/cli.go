/*
Copyright 2026 The databricks-scim-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package cli is kubectl-databricks, the operator's command-line tool: a
// kubectl plugin (`kubectl databricks …` once kubectl-databricks is on the
// PATH) that also runs on its own.
//
//	export            read an account and write a directory of resources ready for Git
//	import-terraform  convert a Terraform state into the same kind of directory
//	plan              say what the operator would do with resources against the account
//
// It reuses the operator's SCIM client (rate limits, Retry-After, host
// checks, token redaction), the inventory's lists, and the controllers' diff
// code (package diff). Tokens are read from a file or the environment, never
// from a flag, and never printed.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/cli/remote"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan: applying the resources would change something
)

// TerraformStateReader reads a Terraform state file into a Snapshot (the
// principals it manages, members and roles folded in, deletion policies
// from disable_as_user_deletion) and the addresses of the resources it
// could not map. Tests may stand one in; nil is ReadTerraformStateFile.
type TerraformStateReader func(path string) (snap manifest.Snapshot, unmapped []string, err error)

// Env is what Run reads and writes besides its arguments.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment (the token variable, KUBECONFIG).
	Getenv func(string) string
	// StderrTerminal makes the progress line rewrite itself in place.
	StderrTerminal bool
	// ReadTerraformState implements import-terraform; nil is
	// ReadTerraformStateFile.
	ReadTerraformState TerraformStateReader
	// Version is printed by `version`.
	Version string
}

// OSEnv is the process's environment.
func OSEnv() Env {
	terminal := false
	if fi, err := os.Stderr.Stat(); err == nil {
		terminal = fi.Mode()&os.ModeCharDevice != 0
	}
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, StderrTerminal: terminal}
}

const usage = `kubectl-databricks: Databricks account identities as databricks-scim-operator resources.

Usage (as a kubectl plugin, or standalone as kubectl-databricks):
  kubectl databricks export --account NAME --namespace NS [flags] DIR
  kubectl databricks import-terraform --account NAME --namespace NS [flags] STATE DIR
  kubectl databricks plan [flags] FILE|DIR...
  kubectl databricks version

The SCIM token is read from --token-file FILE or $DATABRICKS_SCIM_TOKEN, never from a flag.
Exit codes: 0 success (plan: no changes), 1 error, 2 plan has changes.
Run 'kubectl databricks COMMAND -h' for a command's flags; see docs/cli.md.
`

// Run runs one command line (without the program name) and returns the
// exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if err := refuseTokenFlag(args); err != nil {
		fmt.Fprintln(env.Stderr, "kubectl-databricks:", err)
		return ExitError
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitError
	}
	var (
		code int
		err  error
	)
	switch args[0] {
	case "export":
		code, err = runExport(ctx, args[1:], env)
	case "import-terraform":
		code, err = runImportTerraform(args[1:], env)
	case "plan":
		code, err = runPlan(ctx, args[1:], env)
	case "version":
		fmt.Fprintln(env.Stdout, "kubectl-databricks", orDefault(env.Version, "dev"))
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(env.Stderr, "kubectl-databricks: unknown command %q\n\n%s", args[0], usage)
		return ExitError
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "kubectl-databricks:", err)
		return ExitError
	}
	return code
}

// refuseTokenFlag stops a token given on the command line before anything
// parses it: shells keep history and ps shows arguments. The message never
// repeats the value.
func refuseTokenFlag(args []string) error {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "token" || name == "scim-token") {
			return fmt.Errorf("tokens are never accepted as flags (they would stay in shell history and process lists): use --token-file FILE or set %s", remote.TokenEnv)
		}
		if a == "--" {
			return nil
		}
	}
	return nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// accountFlags are the flags that say which Databricks account to read.
type accountFlags struct {
	account       string
	host          string
	accountID     string
	apiVersion    string
	tokenFile     string
	allowLoopback bool
	rateLimits    string
	kubeconfig    string
	kubeContext   string
}

func (a *accountFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.host, "host", "", "account console URL, e.g. https://accounts.cloud.databricks.com (default: the DatabricksAccount's spec.host, read from the cluster)")
	fs.StringVar(&a.accountID, "account-id", "", "Databricks account id (default: the DatabricksAccount's spec.accountID, read from the cluster)")
	fs.StringVar(&a.apiVersion, "api-version", "", `SCIM API version, "2.1" or "2.0" (default: the DatabricksAccount's, else 2.1)`)
	fs.StringVar(&a.tokenFile, "token-file", "", "file holding the account SCIM token (default: $"+remote.TokenEnv+"); a trailing newline is fine")
	fs.BoolVar(&a.allowLoopback, "allow-loopback-host", false, "allow a loopback --host (http://127.0.0.1:…) for tests and demos")
	fs.StringVar(&a.rateLimits, "rate-limits", "", `client-side requests per second, e.g. "get=20,list=4" (default: Databricks' published limits get=20,list=4,patch=2,write=5)`)
	fs.StringVar(&a.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&a.kubeContext, "context", "", "kubeconfig context")
}

// parseLimits reads "get=20,list=4,patch=2,write=5" (missing classes: defaults).
func parseLimits(v string) (scim.Limits, error) {
	var l scim.Limits
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		rate, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil || rate <= 0 {
			return l, fmt.Errorf("--rate-limits: %q is not class=requests-per-second", part)
		}
		switch scim.Class(strings.TrimSpace(key)) {
		case scim.ClassGet:
			l.Get = rate
		case scim.ClassList:
			l.List = rate
		case scim.ClassPatch:
			l.Patch = rate
		case scim.ClassWrite:
			l.Write = rate
		default:
			return l, fmt.Errorf("--rate-limits: unknown class %q (get, list, patch or write)", key)
		}
	}
	return l, nil
}

// callCounter counts SCIM calls by class and resource.
type callCounter struct {
	mu    sync.Mutex
	lists map[scim.Resource]int
	gets  map[scim.Resource]int
	other int
	start time.Time
}

func newCallCounter() *callCounter {
	return &callCounter{lists: map[scim.Resource]int{}, gets: map[scim.Resource]int{}, start: time.Now()}
}

func (c *callCounter) observe(info scim.CallInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch info.Class {
	case scim.ClassList:
		c.lists[info.Resource]++
	case scim.ClassGet:
		c.gets[info.Resource]++
	default:
		c.other++
	}
}

// report is "SCIM calls: 113 list pages, 1000 group GETs in 1m2s (floor: 113 list pages + 1000 group GETs)".
func (c *callCounter) report(s manifest.Snapshot, groupsRead int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lists, gets := 0, 0
	for _, n := range c.lists {
		lists += n
	}
	for _, n := range c.gets {
		gets += n
	}
	pages := func(n int) int { return max(1, (n+scim.MaxPageSize-1)/scim.MaxPageSize) }
	floorPages := pages(len(s.Users)) + pages(len(s.ServicePrincipals)) + pages(len(s.Groups))
	msg := fmt.Sprintf("SCIM calls: %d list pages, %d GETs in %s (floor: %d list pages + %d group GETs)",
		lists, gets, time.Since(c.start).Round(10*time.Millisecond), floorPages, groupsRead)
	if c.other > 0 {
		msg += fmt.Sprintf("; %d other calls", c.other)
	}
	return msg
}

// kindFlags collects --users, --groups and --service-principals.
func kindFlags(users, sps, groups bool) []manifest.Kind {
	var kinds []manifest.Kind
	for _, k := range []struct {
		on   bool
		kind manifest.Kind
	}{{users, manifest.KindUser}, {sps, manifest.KindServicePrincipal}, {groups, manifest.KindGroup}} {
		if k.on {
			kinds = append(kinds, k.kind)
		}
	}
	return kinds
}

// namespaceRules collects --namespace-for [KIND:]PATTERN=NAMESPACE.
type namespaceRules []manifest.NamespaceRule

func (r *namespaceRules) String() string { return "" }

func (r *namespaceRules) Set(v string) error {
	lhs, ns, ok := strings.Cut(v, "=")
	if !ok || ns == "" || lhs == "" {
		return errors.New("want [KIND:]PATTERN=NAMESPACE, e.g. group:data-*=team-data")
	}
	rule := manifest.NamespaceRule{Pattern: lhs, Namespace: ns}
	if kind, pattern, ok := strings.Cut(lhs, ":"); ok {
		k, known := kindNames[strings.ToLower(kind)]
		if !known {
			return fmt.Errorf("unknown kind %q (user, serviceprincipal or group)", kind)
		}
		rule.Kind, rule.Pattern = k, pattern
	}
	*r = append(*r, rule)
	return nil
}

var kindNames = map[string]manifest.Kind{
	"user": manifest.KindUser, "users": manifest.KindUser,
	"sp": manifest.KindServicePrincipal, "serviceprincipal": manifest.KindServicePrincipal, "serviceprincipals": manifest.KindServicePrincipal,
	"group": manifest.KindGroup, "groups": manifest.KindGroup,
}

// parse parses a command's flags, allowing flags after positional arguments
// (kubectl style), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// printNotes prints notes, at most limit of them, then how many more there are.
func printNotes(w io.Writer, notes []string, limit int) {
	for _, n := range notes[:min(len(notes), limit)] {
		fmt.Fprintln(w, "note:", n)
	}
	if more := len(notes) - limit; more > 0 {
		fmt.Fprintf(w, "note: … and %d more\n", more)
	}
}
