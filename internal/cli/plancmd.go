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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/plan"
	"github.com/scimops/databricks-scim-operator/internal/cli/remote"
	"github.com/scimops/databricks-scim-operator/internal/kubeyaml"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func runPlan(ctx context.Context, args []string, env Env) (int, error) {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var (
		a         accountFlags
		files     []string
		namespace string
		offline   bool
		output    string
	)
	fs.StringVar(&a.account, "account", "", "the DatabricksAccount to plan (default: the one the resources name, if only one)")
	a.register(fs)
	fs.Func("f", "file or directory to plan (repeatable; a directory with a kustomization.yaml is rendered with kustomize); also given as arguments", func(v string) error {
		files = append(files, v)
		return nil
	})
	fs.StringVar(&namespace, "namespace", "", "namespace of resources that name none (default: the kubeconfig context's, else default)")
	fs.StringVar(&namespace, "n", "", "shorthand for --namespace")
	fs.BoolVar(&offline, "offline", false, "do not read the cluster: every resource counts as new, and permissions are checked only against a DatabricksAccount and Namespaces in the files")
	fs.StringVar(&output, "o", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: kubectl databricks plan [flags] FILE|DIR...\n\nSays what the operator would do with the resources against the account, without writing anything.\nExit code: 0 nothing to do, 2 changes (or resources that would not become Ready), 1 error.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	files = append(files, pos...)
	if len(files) == 0 {
		fs.Usage()
		return ExitError, errors.New("plan needs files or directories")
	}
	if output != "text" && output != "json" {
		return ExitError, fmt.Errorf("-o %q: want text or json", output)
	}

	var k *cluster
	if !offline {
		if k, err = connect(&a, env.Getenv); err != nil {
			return ExitError, fmt.Errorf("%w (or plan with --offline)", err)
		}
	}
	if namespace == "" {
		namespace = "default"
		if k != nil {
			namespace = k.namespace
		}
	}
	in, err := loadPlanned(files, namespace)
	if err != nil {
		return ExitError, err
	}
	if a.account == "" {
		names := in.accountNames()
		if len(names) != 1 {
			return ExitError, fmt.Errorf("the resources name %d DatabricksAccounts (%s): choose one with --account", len(names), strings.Join(names, ", "))
		}
		a.account = names[0]
	}
	pin := plan.Input{Objects: in.objects, AccountName: a.account, Account: in.accounts[a.account], Namespaces: in.namespaces}
	var notes []string
	if k != nil {
		if pin.Account == nil {
			if pin.Account, err = k.account(ctx, a.account); err != nil {
				return ExitError, err
			}
			if pin.Account == nil {
				notes = append(notes, fmt.Sprintf("DatabricksAccount %q is not in the cluster or the files: its namespaceSelector and permissions are not checked", a.account))
			}
		}
		live, liveNotes, err := k.identities(ctx, in.namespaceList())
		if err != nil {
			return ExitError, err
		}
		pin.Live, notes = live, append(notes, liveNotes...)
		for ns, lbls := range k.namespaceLabels(ctx, in.namespaceList()) {
			if _, fromFiles := pin.Namespaces[ns]; !fromFiles {
				pin.Namespaces[ns] = lbls
			}
		}
	} else {
		notes = append(notes, "the cluster was not read: every resource counts as new (one the operator already manages shows as a conflict unless adoptionPolicy is IfExists)")
	}
	ep, err := resolveEndpoint(&a, pin.Account)
	if err != nil {
		return ExitError, err
	}
	c, err := newSCIMClient(&a, ep, env.Getenv, nil)
	if err != nil {
		return ExitError, err
	}
	want := in.groupsWanted(pin.Live)
	snap, err := remote.Read(ctx, c, remote.ReadOptions{
		WantGroup: func(g scim.Group) bool { return want.ids[g.ID] || want.names[naturalkey.Key(g.DisplayName)] },
		Progress:  &remote.Progress{Out: env.Stderr, Terminal: env.StderrTerminal},
	})
	if err != nil {
		return ExitError, err
	}
	p, err := plan.Compute(ctx, pin, snap, c)
	if err != nil {
		return ExitError, remote.Explain(err)
	}
	p.Notes = append(notes, p.Notes...)
	if output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			*plan.Plan
			InSync bool `json:"inSync"`
		}{p, p.InSync()}); err != nil {
			return ExitError, err
		}
	} else {
		p.Write(env.Stdout)
	}
	if !p.InSync() {
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// planned is what the files hold.
type planned struct {
	objects    []client.Object
	accounts   map[string]*v1.DatabricksAccount
	namespaces map[string]map[string]string
}

// loadPlanned reads the files as `kubectl apply` would and keeps the
// identity resources (typed, strictly: an unknown field is an error, as with
// kubectl's strict field validation), DatabricksAccounts and Namespaces.
func loadPlanned(paths []string, defaultNamespace string) (*planned, error) {
	raw, err := kubeyaml.Read(paths...)
	if err != nil {
		return nil, err
	}
	in := &planned{accounts: map[string]*v1.DatabricksAccount{}, namespaces: map[string]map[string]string{}}
	seen := map[string]bool{}
	for _, u := range raw {
		gvk := u.GroupVersionKind()
		if gvk.Group == "" && gvk.Kind == "Namespace" {
			in.namespaces[u.GetName()] = u.GetLabels()
			continue
		}
		if gvk.Group != v1.GroupVersion.Group {
			continue
		}
		if gvk.Version != v1.GroupVersion.Version {
			return nil, fmt.Errorf("%s %s: version %s is not %s", gvk.Kind, u.GetName(), gvk.Version, v1.GroupVersion.Version)
		}
		var obj client.Object
		switch gvk.Kind {
		case "User":
			obj = &v1.User{}
		case "ServicePrincipal":
			obj = &v1.ServicePrincipal{}
		case "Group":
			obj = &v1.Group{}
		case "DatabricksAccount":
			obj = &v1.DatabricksAccount{}
		default:
			return nil, fmt.Errorf("unknown kind %s", gvk.Kind)
		}
		if err := typed(u, obj); err != nil {
			return nil, err
		}
		if acct, ok := obj.(*v1.DatabricksAccount); ok {
			in.accounts[acct.Name] = acct
			continue
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace(defaultNamespace)
		}
		key := gvk.Kind + " " + obj.GetNamespace() + "/" + obj.GetName()
		if seen[key] {
			return nil, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		in.objects = append(in.objects, obj)
	}
	return in, nil
}

func typed(u *unstructured.Unstructured, obj client.Object) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

func (in *planned) accountNames() []string {
	set := map[string]bool{}
	for _, o := range in.objects {
		set[o.(v1.Identity).GetAccountName()] = true
	}
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (in *planned) namespaceList() []string {
	set := map[string]bool{}
	for _, o := range in.objects {
		set[o.GetNamespace()] = true
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// groupSet names the groups whose members a plan needs.
type groupSet struct {
	ids   map[string]bool
	names map[string]bool
}

// groupsWanted: the planned groups, by natural key and by the SCIM id their
// live counterpart recorded.
func (in *planned) groupsWanted(live []client.Object) groupSet {
	s := groupSet{ids: map[string]bool{}, names: map[string]bool{}}
	planned := map[string]bool{}
	for _, o := range in.objects {
		if g, ok := o.(*v1.Group); ok {
			s.names[naturalkey.Key(g.Spec.DisplayName)] = true
			planned[g.Namespace+"/"+g.Name] = true
		}
	}
	for _, o := range live {
		if g, ok := o.(*v1.Group); ok && planned[g.Namespace+"/"+g.Name] && g.Status.ID != "" {
			s.ids[g.Status.ID] = true
		}
	}
	return s
}
