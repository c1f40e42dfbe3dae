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
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// ManagerOptions configure a manager process.
type ManagerOptions struct {
	// Kubeconfig the manager uses (KUBECONFIG).
	Kubeconfig string
	// Args are the manager's flags. --health-probe-bind-address is added
	// (a free loopback port) and --metrics-bind-address=0 unless given.
	Args []string
	// Env are extra environment variables (NAME=value), e.g. POD_NAMESPACE
	// as a Deployment's downward API would set it (default: unset).
	Env []string
	// LogPath receives the manager's output (default dir/manager.log).
	LogPath string
	// StartTimeout bounds the wait for /readyz (default 60s).
	StartTimeout time.Duration
}

// Manager is a running manager process.
type Manager struct {
	*Process
	// ProbeAddr serves /healthz and /readyz.
	ProbeAddr string
}

// DefaultManagerArgs are the flags of a local manager: Secrets from the
// operator namespace, no leader election, and the fake's loopback host allowed.
func DefaultManagerArgs() []string {
	return []string{"--secret-namespace=" + OperatorNamespace, "--leader-elect=false", "--allow-loopback-hosts"}
}

// StartManager runs bin (the built cmd/manager) with opts and waits until its
// readiness probe answers, failing with the end of its log if it exits first.
func StartManager(ctx context.Context, bin, dir string, opts ManagerOptions) (*Manager, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.LogPath == "" {
		opts.LogPath = filepath.Join(dir, "manager.log")
	}
	args := append([]string(nil), opts.Args...)
	probe := flagValue(args, "health-probe-bind-address")
	if probe == "" {
		var err error
		if probe, err = FreeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--health-probe-bind-address="+probe)
	} else if err := CheckAddrFree(probe, "the manager's health probes"); err != nil {
		return nil, err
	}
	if flagValue(args, "metrics-bind-address") == "" {
		args = append(args, "--metrics-bind-address=0")
	}
	// The manager reads only what it is given: its kubeconfig, not the
	// caller's cluster, and no in-cluster namespace.
	env := mergeEnv([]string{"KUBECONFIG=" + opts.Kubeconfig, "POD_NAMESPACE="}, opts.Env)
	p, err := StartProcess("manager", bin, args, env, opts.LogPath)
	if err != nil {
		return nil, err
	}
	m := &Manager{Process: p, ProbeAddr: probe}
	if err := waitHTTP(ctx, p, "http://"+probe+"/readyz", nil, opts.StartTimeout, func(r *http.Response) bool {
		return r.StatusCode == http.StatusOK
	}); err != nil {
		_ = p.Stop(5 * time.Second)
		return nil, err
	}
	return m, nil
}

// flagValue returns the value of --name=value or --name value in args.
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// LogLines returns the manager's log lines that mention needle (case-insensitive).
func (m *Manager) LogLines(needle string) []string {
	var out []string
	for line := range strings.SplitSeq(m.Log(), "\n") {
		if strings.Contains(strings.ToLower(line), strings.ToLower(needle)) {
			out = append(out, line)
		}
	}
	return out
}

// String describes the process for messages.
func (m *Manager) String() string {
	return fmt.Sprintf("manager (pid %d, log %s)", m.Pid(), m.LogPath)
}
