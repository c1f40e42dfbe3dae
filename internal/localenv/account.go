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
	"sigs.k8s.io/controller-runtime/pkg/client"

	databricksv1alpha1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// CreateTokenSecret creates (or updates) the Secret holding the fake's SCIM
// token in the operator namespace, as a user would with
// `kubectl -n databricks-scim-system create secret generic databricks-scim-token --from-literal=token=...`.
func CreateTokenSecret(ctx context.Context, c client.Client, fake *Fake) error {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: TokenSecretName, Namespace: OperatorNamespace},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"token": fake.Token},
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(mustUnstructured(s)), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("creating Secret %s/%s: %w", OperatorNamespace, TokenSecretName, err)
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
// short sync interval suitable for local runs.
func AccountFor(name string, fake *Fake) *databricksv1alpha1.DatabricksAccount {
	return &databricksv1alpha1.DatabricksAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: databricksv1alpha1.DatabricksAccountSpec{
			AccountID:      fake.AccountID,
			Host:           fake.URL,
			TokenSecretRef: databricksv1alpha1.SecretKeyReference{Name: TokenSecretName, Key: "token"},
			SyncInterval:   &metav1.Duration{Duration: time.Minute},
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
