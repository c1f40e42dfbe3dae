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
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// Resource is one kind served by the API server.
type Resource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// CategoryResources returns the resources in category (what `kubectl get
// <category>` expands to): cluster-scoped kinds first, then by kind.
func (cp *ControlPlane) CategoryResources(category string) ([]Resource, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cp.Config)
	if err != nil {
		return nil, err
	}
	lists, err := dc.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovering API resources: %w", err)
	}
	var out []Resource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Categories, category) {
				continue
			}
			out = append(out, Resource{GVR: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no resource is in category %q: are the CRDs installed?", category)
	}
	// Discovery's order varies; print cluster-scoped kinds first, then by kind.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespaced != out[j].Namespaced {
			return !out[i].Namespaced
		}
		return out[i].Kind < out[j].Kind
	})
	return out, nil
}

// ObjectStatus is the readiness of one object.
type ObjectStatus struct {
	Kind, Namespace, Name string
	Generation            int64
	ObservedGeneration    int64
	Conditions            []metav1.Condition
	Ready                 bool
}

// Ref names the object like kubectl ("User default/alice", "DatabricksAccount/main").
func (s ObjectStatus) Ref() string {
	if s.Namespace == "" {
		return s.Kind + "/" + s.Name
	}
	return s.Kind + " " + s.Namespace + "/" + s.Name
}

// Describe summarizes the conditions: "Ready=False AccountNotReady: ...; Reconciling=True ...".
func (s ObjectStatus) Describe() string {
	if len(s.Conditions) == 0 {
		return "no status conditions yet (the manager has not reconciled it: is it running? see its log)"
	}
	parts := make([]string, 0, len(s.Conditions)+1)
	for _, c := range s.Conditions {
		p := c.Type + "=" + string(c.Status)
		if c.Reason != "" {
			p += " " + c.Reason
		}
		if c.Message != "" {
			p += ": " + c.Message
		}
		parts = append(parts, p)
	}
	if s.ObservedGeneration != 0 && s.ObservedGeneration < s.Generation {
		parts = append(parts, fmt.Sprintf("observedGeneration %d < generation %d", s.ObservedGeneration, s.Generation))
	}
	return strings.Join(parts, "; ")
}

// Condition returns the condition of type t, or nil.
func (s ObjectStatus) Condition(t string) *metav1.Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

func statusOf(kind string, o *unstructured.Unstructured) ObjectStatus {
	s := ObjectStatus{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName(), Generation: o.GetGeneration()}
	s.ObservedGeneration, _, _ = unstructured.NestedInt64(o.Object, "status", "observedGeneration")
	raw, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		c := metav1.Condition{}
		c.Type, _, _ = unstructured.NestedString(m, "type")
		st, _, _ := unstructured.NestedString(m, "status")
		c.Status = metav1.ConditionStatus(st)
		c.Reason, _, _ = unstructured.NestedString(m, "reason")
		c.Message, _, _ = unstructured.NestedString(m, "message")
		c.ObservedGeneration, _, _ = unstructured.NestedInt64(m, "observedGeneration")
		s.Conditions = append(s.Conditions, c)
	}
	// kstatus: Ready=True for the current generation.
	ready := s.Condition("Ready")
	s.Ready = ready != nil && ready.Status == metav1.ConditionTrue && s.ObservedGeneration >= s.Generation &&
		(ready.ObservedGeneration == 0 || ready.ObservedGeneration >= s.Generation)
	return s
}

// Statuses lists every object in category (namespaced ones in namespace, or
// in all namespaces when namespace is empty) with its readiness.
func (cp *ControlPlane) Statuses(ctx context.Context, category, namespace string) ([]ObjectStatus, error) {
	resources, err := cp.CategoryResources(category)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return nil, err
	}
	var out []ObjectStatus
	for _, r := range resources {
		var ri dynamic.ResourceInterface = dyn.Resource(r.GVR)
		if r.Namespaced && namespace != "" {
			ri = dyn.Resource(r.GVR).Namespace(namespace)
		}
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", r.GVR.Resource, err)
		}
		for i := range list.Items {
			out = append(out, statusOf(r.Kind, &list.Items[i]))
		}
	}
	return out, nil
}

// NotReadyError lists the objects that did not become Ready in time.
type NotReadyError struct {
	Timeout  time.Duration
	NotReady []ObjectStatus
	Total    int
	// Want is the minimum number of objects expected.
	Want int
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	if e.Total < e.Want {
		fmt.Fprintf(&b, "only %d objects in category %q exist after %s, want at least %d", e.Total, Category, e.Timeout, e.Want)
		if len(e.NotReady) == 0 {
			return b.String()
		}
		b.WriteString("; not Ready:")
	} else {
		fmt.Fprintf(&b, "%d of %d objects did not become Ready within %s:", len(e.NotReady), e.Total, e.Timeout)
	}
	for _, s := range e.NotReady {
		fmt.Fprintf(&b, "\n  %s: %s", s.Ref(), s.Describe())
	}
	return b.String()
}

// WaitOptions configure WaitReady.
type WaitOptions struct {
	// Namespace limits namespaced objects to one namespace ("" means all).
	Namespace string
	// Timeout bounds the wait (default 2 minutes).
	Timeout time.Duration
	// MinObjects is how many objects must exist (default 1).
	MinObjects int
	// Abort, when it yields, ends the wait early with its error (e.g. the
	// manager process exited).
	Abort <-chan struct{}
	// AbortErr builds the error returned when Abort yields.
	AbortErr func() error
}

// WaitReady waits until every object in the databricks category is Ready
// and returns their statuses; on timeout the error is a *NotReadyError
// naming each object that is not Ready, with its conditions.
func (cp *ControlPlane) WaitReady(ctx context.Context, opts WaitOptions) ([]ObjectStatus, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.MinObjects == 0 {
		opts.MinObjects = 1
	}
	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last []ObjectStatus
	var lastErr error
	for {
		st, err := cp.Statuses(ctx, Category, opts.Namespace)
		if err == nil {
			last, lastErr = st, nil
			if len(st) >= opts.MinObjects && !slices.ContainsFunc(st, func(s ObjectStatus) bool { return !s.Ready }) {
				return st, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-opts.Abort:
			if opts.AbortErr != nil {
				return last, opts.AbortErr()
			}
			return last, errors.New("aborted")
		case <-deadline.C:
			if lastErr != nil {
				return last, fmt.Errorf("waiting for Ready: %w", lastErr)
			}
			e := &NotReadyError{Timeout: opts.Timeout, Total: len(last), Want: opts.MinObjects}
			for _, s := range last {
				if !s.Ready {
					e.NotReady = append(e.NotReady, s)
				}
			}
			return last, e
		case <-tick.C:
		}
	}
}
