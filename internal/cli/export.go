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

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/cli/remote"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// layoutFlags are the flags export and import-terraform share: where
// objects go and how they are written.
type layoutFlags struct {
	namespace string
	rules     namespaceRules
	retain    bool
	users     bool
	sps       bool
	groups    bool
	match     string
	maxNotes  int
}

func (l *layoutFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.namespace, "namespace", "", "namespace of the written resources (required; --namespace-for moves some elsewhere)")
	fs.StringVar(&l.namespace, "n", "", "shorthand for --namespace")
	fs.Var(&l.rules, "namespace-for", "[KIND:]PATTERN=NAMESPACE: put resources whose name matches the glob PATTERN in NAMESPACE, e.g. group:data-*=team-data (repeatable; first match wins; KIND is user, sp or group)")
	fs.BoolVar(&l.retain, "retain", false, "write deletionPolicy: Retain, so deleting a resource never touches Databricks")
	fs.BoolVar(&l.users, "users", false, "write users (with --groups/--service-principals: only the kinds given; default all kinds)")
	fs.BoolVar(&l.sps, "service-principals", false, "write service principals")
	fs.BoolVar(&l.groups, "groups", false, "write groups")
	fs.StringVar(&l.match, "match", "", "write only resources whose name matches this glob (case-insensitive; a user's userName or displayName, a service principal's displayName or applicationId, a group's displayName)")
	fs.IntVar(&l.maxNotes, "max-notes", 50, "print at most this many notes")
}

func (l *layoutFlags) options(account string, adopt bool) (manifest.Options, error) {
	if account == "" {
		return manifest.Options{}, errors.New("--account is required: the DatabricksAccount the written resources name in spec.accountRef")
	}
	if l.namespace == "" {
		return manifest.Options{}, errors.New("--namespace is required")
	}
	o := manifest.Options{
		Account: account, Namespace: l.namespace, NamespaceRules: l.rules, Adopt: adopt, Retain: l.retain,
		Kinds: kindFlags(l.users, l.sps, l.groups), Match: l.match,
	}
	return o, o.Validate()
}

func runExport(ctx context.Context, args []string, env Env) (int, error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var (
		a     accountFlags
		l     layoutFlags
		adopt bool
	)
	fs.StringVar(&a.account, "account", "", "the DatabricksAccount the resources name (spec.accountRef.name); its host and account id are read from the cluster unless --host/--account-id are given (required)")
	a.register(fs)
	l.register(fs)
	fs.BoolVar(&adopt, "adopt", false, "write managed resources with adoptionPolicy: IfExists instead of managementPolicy: Observe (read-only)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: kubectl databricks export --account NAME --namespace NS [flags] DIR\n\nReads the account and writes one YAML file per user, service principal and group, and a kustomization.yaml, to DIR.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if len(pos) != 1 {
		fs.Usage()
		return ExitError, errors.New("export takes one output directory")
	}
	opts, err := l.options(a.account, adopt)
	if err != nil {
		return ExitError, err
	}
	var acct *v1.DatabricksAccount
	if a.host == "" || a.accountID == "" {
		k, err := connect(&a, env.Getenv)
		if err != nil {
			return ExitError, err
		}
		if k != nil {
			if acct, err = k.account(ctx, a.account); err != nil {
				return ExitError, err
			}
			if acct == nil {
				return ExitError, fmt.Errorf("DatabricksAccount %q is not in the cluster: give --host and --account-id", a.account)
			}
		}
	}
	ep, err := resolveEndpoint(&a, acct)
	if err != nil {
		return ExitError, err
	}
	calls := newCallCounter()
	c, err := newSCIMClient(&a, ep, env.Getenv, calls.observe)
	if err != nil {
		return ExitError, err
	}
	groupsRead := 0
	snap, err := remote.Read(ctx, c, remote.ReadOptions{
		WantGroup: func(g scim.Group) bool {
			if opts.WantsGroup(g.DisplayName) {
				groupsRead++
				return true
			}
			return false
		},
		Progress: &remote.Progress{Out: env.Stderr, Terminal: env.StderrTerminal},
	})
	if err != nil {
		return ExitError, err
	}
	objs, notes, err := manifest.Build(snap, opts)
	if err != nil {
		return ExitError, err
	}
	header := fmt.Sprintf("Exported by kubectl-databricks from %s, account %s.", ep.host, ep.accountID)
	if adopt {
		header += "\nadoptionPolicy: IfExists: applying takes the principals over and converges them to these files."
	} else {
		header += "\nmanagementPolicy: Observe: read-only; export again with --adopt (or edit) to manage."
	}
	if err := manifest.WriteDir(pos[0], objs, header); err != nil {
		return ExitError, err
	}
	printNotes(env.Stderr, notes, l.maxNotes)
	fmt.Fprintf(env.Stderr, "wrote %s to %s\n", describeObjects(objs), pos[0])
	fmt.Fprintln(env.Stderr, calls.report(snap, groupsRead))
	return ExitOK, nil
}

// describeObjects is "10 users, 2 service principals and 3 groups".
func describeObjects(objs []client.Object) string {
	n := map[string]int{}
	for _, o := range objs {
		n[o.GetObjectKind().GroupVersionKind().Kind]++
	}
	return fmt.Sprintf("%d users, %d service principals and %d groups", n["User"], n["ServicePrincipal"], n["Group"])
}
