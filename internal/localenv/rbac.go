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

package localenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// operatorRBAC is what the manager is bound to: config/rbac's ServiceAccount,
// the manager ClusterRole and its binding, the namespaced Secret Role and its
// binding, and the leader-election Role and its binding (names before the
// prefix). The metrics-auth binding is left out: local runs disable the
// authenticated metrics endpoint it exists for. The admin/editor/viewer
// ClusterRoles bind nobody.
var operatorRBAC = []struct{ kind, name string }{
	{"ServiceAccount", "controller-manager"},
	{"ClusterRole", "manager-role"},
	{"ClusterRoleBinding", "manager-rolebinding"},
	{"Role", "manager-role"},
	{"RoleBinding", "manager-secrets-rolebinding"},
	{"Role", "leader-election-role"},
	{"RoleBinding", "leader-election-rolebinding"},
}

// RenderRBAC renders config/rbac the way `kustomize build config/default`
// does (namespace databricks-scim-system, namePrefix databricks-scim-) and
// returns the objects the manager is bound to.
func RenderRBAC(root string) ([]*unstructured.Unstructured, error) {
	all, err := RenderWithOverlay(filepath.Join(root, "config", "rbac"), OperatorNamespace, NamePrefix)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, want := range operatorRBAC {
		o := Find(all, want.kind, NamePrefix+want.name)
		if o == nil {
			return nil, fmt.Errorf("config/rbac no longer renders %s %s%s (rendered: %v)", want.kind, NamePrefix, want.name, Kinds(all))
		}
		out = append(out, o)
	}
	return out, nil
}

// RBACOptions configure InstallOperatorRBAC.
type RBACOptions struct {
	// Objects, when set, are applied instead of config/rbac's operator
	// objects: e.g. everything a Helm chart or the release installer renders
	// (CRDs, RBAC, Service, Deployment). The one ServiceAccount among them is
	// the manager's identity; its namespace (default OperatorNamespace) is
	// created if missing.
	Objects []*unstructured.Unstructured
	// Mutate may change the rendered objects before they are applied, e.g.
	// drop a rule to show that the manager needs it.
	Mutate func(objs []*unstructured.Unstructured) error
	// TokenTTL is the requested token lifetime (default 7 days).
	TokenTTL time.Duration
}

// Operator is the manager's identity: a ServiceAccount bound only to config/rbac
// (or to the RBAC among RBACOptions.Objects).
type Operator struct {
	// Namespace and ServiceAccount name the ServiceAccount.
	Namespace, ServiceAccount string
	// Username is system:serviceaccount:<namespace>:<name>.
	Username string
	// Kubeconfig is a kubeconfig file that authenticates with the
	// ServiceAccount's bearer token (minted by the TokenRequest API).
	Kubeconfig string
	// Config is the same as a rest.Config.
	Config *rest.Config
	// Objects are the objects that were applied.
	Objects []*unstructured.Unstructured
}

// InstallOperatorRBAC creates the operator namespace, applies the manager's
// RBAC rendered from config/rbac (see RenderRBAC) or opts.Objects, mints a
// token for its ServiceAccount with the TokenRequest API and writes a
// kubeconfig for it into dir. It then checks with the API server that the token authenticates
// as the ServiceAccount and that RBAC is enforced (the ServiceAccount may read
// Secrets in its own namespace only). Calling it again re-applies the RBAC
// (e.g. mutated) and mints a new token.
func InstallOperatorRBAC(ctx context.Context, root, dir string, cp *ControlPlane, opts RBACOptions) (*Operator, error) {
	objs := opts.Objects
	if objs == nil {
		var err error
		if objs, err = RenderRBAC(root); err != nil {
			return nil, err
		}
	}
	if opts.Mutate != nil {
		if err := opts.Mutate(objs); err != nil {
			return nil, err
		}
	}
	namespace, name, err := serviceAccountOf(objs)
	if err != nil {
		return nil, err
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 7 * 24 * time.Hour
	}
	if err := EnsureNamespace(ctx, cp, namespace); err != nil {
		return nil, err
	}
	if err := Apply(ctx, cp.Client, namespace, objs); err != nil {
		return nil, err
	}
	cfg, err := ServiceAccountConfig(ctx, cp, namespace, name, opts.TokenTTL)
	if err != nil {
		return nil, err
	}
	op := &Operator{
		Namespace:      namespace,
		ServiceAccount: name,
		Username:       "system:serviceaccount:" + namespace + ":" + name,
		Kubeconfig:     filepath.Join(dir, "operator.kubeconfig"),
		Config:         cfg,
		Objects:        objs,
	}
	if err := WriteKubeconfig(op.Kubeconfig, op.Config, "operator"); err != nil {
		return nil, err
	}
	if err := op.verify(ctx); err != nil {
		return nil, err
	}
	return op, nil
}

// serviceAccountOf returns the namespace and name of the one ServiceAccount in objs.
func serviceAccountOf(objs []*unstructured.Unstructured) (namespace, name string, err error) {
	var found []string
	for _, o := range objs {
		if o.GetKind() == "ServiceAccount" && o.GroupVersionKind().Group == "" {
			namespace, name = o.GetNamespace(), o.GetName()
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		return "", "", fmt.Errorf("want exactly one ServiceAccount (the manager's) among the objects, found %d: %v", len(found), found)
	}
	if namespace == "" {
		namespace = OperatorNamespace
	}
	return namespace, name, nil
}

// ServiceAccountConfig mints a token for the ServiceAccount namespace/name
// with the TokenRequest API and returns a rest.Config that authenticates
// with it.
func ServiceAccountConfig(ctx context.Context, cp *ControlPlane, namespace, name string, ttl time.Duration) (*rest.Config, error) {
	tr, err := cp.Clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(ttl.Seconds()))},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("minting a token for ServiceAccount %s/%s (TokenRequest API): %w", namespace, name, err)
	}
	return &rest.Config{
		Host:            cp.Config.Host,
		BearerToken:     tr.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.Config.CAData},
	}, nil
}

// verify checks the token's identity and that RBAC is enforced for it.
func (op *Operator) verify(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(op.Config)
	if err != nil {
		return err
	}
	ssr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("the ServiceAccount token does not authenticate: %w", err)
	}
	if got := ssr.Status.UserInfo.Username; got != op.Username {
		return fmt.Errorf("the ServiceAccount token authenticates as %q, want %q", got, op.Username)
	}
	checks := []struct {
		ns      string
		allowed bool
	}{{op.Namespace, true}, {metav1.NamespaceDefault, false}}
	for _, c := range checks {
		allowed, err := CanI(ctx, op.Config, "list", "", "secrets", "", c.ns)
		if err != nil {
			return err
		}
		if allowed != c.allowed {
			return fmt.Errorf("RBAC is not what config/rbac grants: listing Secrets in namespace %s is allowed=%t for %s, want %t",
				c.ns, allowed, op.Username, c.allowed)
		}
	}
	return nil
}

// CanI asks the API server whether cfg's user may do verb on the resource
// (and subresource) of apiGroup in namespace ("" for cluster-wide), like
// `kubectl auth can-i`.
func CanI(ctx context.Context, cfg *rest.Config, verb, apiGroup, resource, subresource, namespace string) (bool, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false, err
	}
	review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: apiGroup, Resource: resource, Subresource: subresource,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("asking the API server for %s %s/%s: %w", verb, resource, subresource, err)
	}
	return review.Status.Allowed, nil
}

// WriteKubeconfig writes a kubeconfig file for cfg (token or client
// certificate, with the cluster's CA).
func WriteKubeconfig(path string, cfg *rest.Config, name string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{
		Token:                 cfg.BearerToken,
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: metav1.NamespaceDefault}
	kc.CurrentContext = name
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*kc, path)
}

// EnsureNamespace creates the namespace unless it exists.
func EnsureNamespace(ctx context.Context, cp *ControlPlane, name string) error {
	_, err := cp.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// RemoveRule removes resource (e.g. "users/status") from every rule of the
// ClusterRole or Role named name in objs that grants it in apiGroup, dropping
// rules left without resources. It reports whether anything was removed.
func RemoveRule(objs []*unstructured.Unstructured, kind, name, apiGroup, resource string) (bool, error) {
	o := Find(objs, kind, name)
	if o == nil {
		return false, fmt.Errorf("no %s %s among %v", kind, name, Kinds(objs))
	}
	rules, _, err := unstructured.NestedSlice(o.Object, "rules")
	if err != nil {
		return false, err
	}
	removed := false
	kept := make([]any, 0, len(rules))
	for _, r := range rules {
		rule, ok := r.(map[string]any)
		groups, _, _ := unstructured.NestedStringSlice(rule, "apiGroups")
		resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
		if !ok || !slices.Contains(groups, apiGroup) || !slices.Contains(resources, resource) {
			kept = append(kept, r)
			continue
		}
		removed = true
		resources = slices.DeleteFunc(resources, func(s string) bool { return s == resource })
		if len(resources) == 0 {
			continue
		}
		if err := unstructured.SetNestedStringSlice(rule, resources, "resources"); err != nil {
			return false, err
		}
		kept = append(kept, rule)
	}
	return removed, unstructured.SetNestedSlice(o.Object, kept, "rules")
}
