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
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/remote"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// scheme knows the operator's kinds and Namespaces.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// cluster is the cluster kubectl would talk to.
type cluster struct {
	c client.Client
	// namespace is the kubeconfig context's namespace ("default" if none).
	namespace string
}

// connect loads the kubeconfig like kubectl ($KUBECONFIG, ~/.kube/config,
// --kubeconfig, --context). It returns nil and no error when there is no
// kubeconfig at all.
func connect(a *accountFlags, getenv func(string) string) (*cluster, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: a.kubeconfig, Precedence: []string{clientcmd.RecommendedHomeFile}}
	if kc := getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: a.kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) && a.kubeconfig == "" && a.kubeContext == "" {
			return nil, nil
		}
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return &cluster{c: c, namespace: ns}, nil
}

// account reads the DatabricksAccount name; nil when it does not exist.
func (k *cluster) account(ctx context.Context, name string) (*v1.DatabricksAccount, error) {
	var acct v1.DatabricksAccount
	if err := k.c.Get(ctx, client.ObjectKey{Name: name}, &acct); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading DatabricksAccount %s: %w", name, err)
	}
	return &acct, nil
}

// namespaceLabels returns the labels of the namespaces it may read: all of
// them when it may list namespaces, else those in want it may get.
func (k *cluster) namespaceLabels(ctx context.Context, want []string) map[string]map[string]string {
	out := map[string]map[string]string{}
	var list corev1.NamespaceList
	if err := k.c.List(ctx, &list); err == nil {
		for _, ns := range list.Items {
			out[ns.Name] = ns.Labels
		}
		return out
	}
	for _, name := range want {
		var ns corev1.Namespace
		if err := k.c.Get(ctx, client.ObjectKey{Name: name}, &ns); err == nil {
			out[name] = ns.Labels
		}
	}
	return out
}

// identities lists the User, ServicePrincipal and Group resources of every
// namespace, or, when that is forbidden, of the namespaces in want; the
// note says what could not be read.
func (k *cluster) identities(ctx context.Context, want []string) ([]client.Object, []string, error) {
	var out []client.Object
	var notes []string
	for _, list := range []client.ObjectList{&v1.UserList{}, &v1.ServicePrincipalList{}, &v1.GroupList{}} {
		err := k.c.List(ctx, list)
		if apierrors.IsForbidden(err) {
			notes = append(notes, "may not list identity resources in every namespace: conflicts with resources in other namespaces are not checked")
			for _, ns := range want {
				part := list.DeepCopyObject().(client.ObjectList)
				if err := k.c.List(ctx, part, client.InNamespace(ns)); err != nil {
					return nil, notes, fmt.Errorf("listing identity resources in namespace %s: %w", ns, err)
				}
				out = appendItems(out, part)
			}
			continue
		}
		if err != nil {
			return nil, notes, fmt.Errorf("listing identity resources: %w", err)
		}
		out = appendItems(out, list)
	}
	return out, notes, nil
}

func appendItems(out []client.Object, list client.ObjectList) []client.Object {
	items, _ := meta.ExtractList(list)
	for _, it := range items {
		out = append(out, it.(client.Object))
	}
	return out
}

// endpoint is the Databricks account to read.
type endpoint struct {
	host, accountID, apiVersion string
}

// resolveEndpoint takes --host and --account-id, or else the
// DatabricksAccount's spec.
func resolveEndpoint(a *accountFlags, acct *v1.DatabricksAccount) (endpoint, error) {
	ep := endpoint{host: a.host, accountID: a.accountID, apiVersion: a.apiVersion}
	if acct != nil {
		if ep.host == "" {
			ep.host = acct.Spec.Host
		}
		if ep.accountID == "" {
			ep.accountID = acct.Spec.AccountID
		}
		if ep.apiVersion == "" {
			ep.apiVersion = acct.Spec.SCIMAPIVersion
		}
	}
	if ep.host == "" && ep.accountID != "" {
		ep.host = "https://accounts.cloud.databricks.com"
	}
	if ep.accountID == "" {
		return ep, errors.New("which Databricks account? give --account-id (and --host), or --account naming a DatabricksAccount in the cluster")
	}
	return ep, nil
}

// newSCIMClient builds the client for ep with the token from --token-file
// or the environment.
func newSCIMClient(a *accountFlags, ep endpoint, getenv func(string) string, observe scim.Observer) (*scim.HTTPClient, error) {
	token, err := remote.LoadToken(a.tokenFile, getenv)
	if err != nil {
		return nil, err
	}
	limits, err := parseLimits(a.rateLimits)
	if err != nil {
		return nil, err
	}
	return remote.NewClient(remote.Config{
		Host: ep.host, AccountID: ep.accountID, APIVersion: ep.apiVersion, Token: token,
		AllowLoopback: a.allowLoopback, Limits: limits, UserAgent: "kubectl-databricks", Observer: observe,
	})
}
