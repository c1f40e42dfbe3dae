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
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	databricksv1alpha1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// CreateTokenSecret creates (or updates) the Secret holding the fake's SCIM
// token in the operator namespace, as a user would with
// `kubectl -n databricks-scim-system create secret generic databricks-scim-token --from-literal=token=...`
// and labelled as a token (the operator reads no other Secret).
func CreateTokenSecret(ctx context.Context, c client.Client, fake *Fake) error {
	s := &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: TokenSecretName, Namespace: OperatorNamespace,
			Labels: map[string]string{databricksv1alpha1.LabelToken: "true"}},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"token": fake.Token},
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(mustUnstructured(s)), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("creating Secret %s/%s: %w", OperatorNamespace, TokenSecretName, err)
	}
	return nil
}

// AdminNamespaceLabel is the namespace label the sample DatabricksAccount
// grants the accountAdmin permission to (spec.permissions.accountAdmin).
const AdminNamespaceLabel = "dbx.scimops.dev/admin"

// GrantAccountAdmin labels namespace so the sample account lets its
// identities hold the account_admin role, as a cluster admin would with
// `kubectl label namespace NAME dbx.scimops.dev/admin=true`.
func GrantAccountAdmin(ctx context.Context, c client.Client, namespace string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	patch := client.RawPatch(types.MergePatchType, []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:"true"}}}`, AdminNamespaceLabel)))
	if err := c.Patch(ctx, ns, patch); err != nil {
		return fmt.Errorf("labelling namespace %s: %w", namespace, err)
	}
	return nil
}

// CreateAccount creates the DatabricksAccount name pointing at the fake,
// authenticated by the token Secret.
func CreateAccount(ctx context.Context, c client.Client, name string, fake *Fake) error {
	acct := AccountFor(name, fake)
	if err := c.Create(ctx, acct); err != nil {
		return fmt.Errorf("creating DatabricksAccount %s: %w", name, err)
	}
	return nil
}

// AccountFor is a DatabricksAccount named name pointing at the fake, with a
// short sync interval suitable for local runs. Like the sample, it grants the
// accountAdmin permission to namespaces labelled AdminNamespaceLabel.
func AccountFor(name string, fake *Fake) *databricksv1alpha1.DatabricksAccount {
	return &databricksv1alpha1.DatabricksAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: databricksv1alpha1.DatabricksAccountSpec{
			AccountID:      fake.AccountID,
			Host:           fake.URL,
			TokenSecretRef: databricksv1alpha1.SecretKeyReference{Name: TokenSecretName, Key: "token"},
			SyncInterval:   &metav1.Duration{Duration: time.Minute},
			Permissions: &databricksv1alpha1.AccountPermissions{AccountAdmin: &databricksv1alpha1.NamespacePermission{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{AdminNamespaceLabel: "true"}},
			}},
		},
	}
}

// PointAccountsAtFake changes every DatabricksAccount in objs to talk to the
// fake (its host and account id), leaving the rest of the spec as written.
// It returns how many it changed.
func PointAccountsAtFake(objs []*unstructured.Unstructured, fake *Fake) (int, error) {
	n := 0
	for _, o := range objs {
		if o.GetKind() != "DatabricksAccount" || o.GroupVersionKind().Group != databricksv1alpha1.GroupVersion.Group {
			continue
		}
		if err := unstructured.SetNestedField(o.Object, fake.URL, "spec", "host"); err != nil {
			return n, err
		}
		if err := unstructured.SetNestedField(o.Object, fake.AccountID, "spec", "accountID"); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// WithoutKind returns objs minus those of kind.
func WithoutKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if o.GetKind() != kind {
			out = append(out, o)
		}
	}
	return out
}

// SamplesDir is config/samples under root.
func SamplesDir(root string) string { return filepath.Join(root, "config", "samples") }

func mustUnstructured(o client.Object) *unstructured.Unstructured {
	m, err := runtimeDefaultUnstructured(o)
	if err != nil {
		panic(err)
	}
	return &unstructured.Unstructured{Object: m}
}
