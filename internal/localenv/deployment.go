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
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ManagerContainer is the name of the manager's container in the shipped Deployments.
const ManagerContainer = "manager"

// DeploymentManager is how a rendered manager Deployment would run the
// manager, turned into a local process: the local control plane has no
// kubelet (a Deployment never gets pods), so the tests run the built binary
// with the container's arguments and environment instead.
type DeploymentManager struct {
	// Namespace and ServiceAccount of the pod the Deployment would create.
	Namespace, ServiceAccount string
	// Image of the manager container.
	Image string
	// Args are the container's args minus the bind addresses
	// (--health-probe-bind-address, --metrics-bind-address), which name
	// ports on every interface: StartManager binds loopback ports instead.
	Args []string
	// Env is the container's environment, the downward API
	// (fieldRef metadata.namespace) resolved to Namespace.
	Env []string
	// Metrics reports whether the container serves metrics
	// (--metrics-bind-address set to something other than 0).
	Metrics bool
}

// ManagerFromDeployment reads the manager container of a rendered
// Deployment (e.g. from the Helm chart or dist/install.yaml).
func ManagerFromDeployment(d *unstructured.Unstructured) (*DeploymentManager, error) {
	if d.GetKind() != "Deployment" {
		return nil, fmt.Errorf("%s is not a Deployment", Describe(d))
	}
	namespace := d.GetNamespace()
	if namespace == "" {
		namespace = OperatorNamespace
	}
	containers, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return nil, err
	}
	var c map[string]any
	for _, raw := range containers {
		if m, ok := raw.(map[string]any); ok && m["name"] == ManagerContainer {
			c = m
		}
	}
	if c == nil {
		return nil, fmt.Errorf("%s has no container named %q", Describe(d), ManagerContainer)
	}
	sa, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "serviceAccountName")
	image, _, _ := unstructured.NestedString(c, "image")
	dm := &DeploymentManager{Namespace: namespace, ServiceAccount: sa, Image: image}
	args, _, err := unstructured.NestedStringSlice(c, "args")
	if err != nil {
		return nil, fmt.Errorf("%s: container args: %w", Describe(d), err)
	}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--health-probe-bind-address"):
		case strings.HasPrefix(a, "--metrics-bind-address"):
			dm.Metrics = flagValue([]string{a}, "metrics-bind-address") != "0"
		default:
			dm.Args = append(dm.Args, a)
		}
	}
	env, _, err := unstructured.NestedSlice(c, "env")
	if err != nil {
		return nil, err
	}
	for _, raw := range env {
		e, _ := raw.(map[string]any)
		name, _ := e["name"].(string)
		if v, ok := e["value"].(string); ok {
			dm.Env = append(dm.Env, name+"="+v)
			continue
		}
		path, _, _ := unstructured.NestedString(e, "valueFrom", "fieldRef", "fieldPath")
		if path != "metadata.namespace" {
			return nil, fmt.Errorf("%s: env %s: only literal values and fieldRef metadata.namespace can be run locally", Describe(d), name)
		}
		dm.Env = append(dm.Env, name+"="+namespace)
	}
	return dm, nil
}
