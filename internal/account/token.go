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

package account

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// TokenReader reads SCIM tokens from labelled Secrets in the operator's
// namespace. The manager's cache holds only labelled Secrets; the label is
// checked here as well, so no other Secret can ever be sent as a token.
type TokenReader struct {
	// Reader reads Secrets, normally from the manager's cache.
	Reader client.Reader
	// Namespace is the only namespace token Secrets are read from.
	Namespace string
}

// SecretCache is the manager's cache configuration for Secrets: only those
// labelled as tokens, only in the operator's namespace.
func SecretCache(namespace string) cache.ByObject {
	return cache.ByObject{
		Namespaces: map[string]cache.Config{namespace: {}},
		Label:      labels.SelectorFromSet(labels.Set{v1.LabelToken: "true"}),
	}
}

// SecretError reports a missing, unlabelled or empty token Secret; its
// message names the Secret and key, never the token.
type SecretError struct{ msg string }

func (e *SecretError) Error() string { return e.msg }

// Secret returns the token Secret ref names, or a *SecretError.
func (t *TokenReader) Secret(ctx context.Context, ref v1.SecretKeyReference) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := t.Reader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: ref.Name}, &s); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, &SecretError{msg: fmt.Sprintf("Secret %s/%s not found (token Secrets need the label %s: %q)",
				t.Namespace, ref.Name, v1.LabelToken, "true")}
		}
		return nil, fmt.Errorf("failed to read Secret %s/%s: %w", t.Namespace, ref.Name, err)
	}
	if s.Labels[v1.LabelToken] != "true" {
		return nil, &SecretError{msg: fmt.Sprintf("Secret %s/%s lacks the label %s: %q, which marks it as a SCIM token",
			t.Namespace, ref.Name, v1.LabelToken, "true")}
	}
	if len(strings.TrimSpace(string(s.Data[keyOf(ref)]))) == 0 {
		return nil, &SecretError{msg: fmt.Sprintf("Secret %s/%s has no key %q", t.Namespace, ref.Name, keyOf(ref))}
	}
	return &s, nil
}

// Token returns the token ref names. Secrets made with `echo token > file`
// end in a newline that is not part of the token.
func (t *TokenReader) Token(ctx context.Context, ref v1.SecretKeyReference) (string, error) {
	s, err := t.Secret(ctx, ref)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(s.Data[keyOf(ref)])), nil
}

func keyOf(ref v1.SecretKeyReference) string {
	if ref.Key == "" {
		return "token"
	}
	return ref.Key
}
