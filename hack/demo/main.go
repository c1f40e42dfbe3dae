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

// Command demo runs the operator on the embedded local default (design §7):
// the local control plane and the fake Databricks account SCIM server on
// loopback, the token Secret and a DatabricksAccount "main" pointing at the
// fake, config/samples, and the manager authenticated as its ServiceAccount
// bound only to config/rbac. It waits until every object is Ready, prints
// what `kubectl get databricks` shows and the kubeconfig path, and keeps
// running until Ctrl-C; then it stops every process it started and removes
// its temporary files.
//
// Run it with `make demo` (hack/demo.sh builds the control plane first).
// Environment:
//
//	DEMO_EXIT=1          exit after printing the table (for tests and CI)
//	DEMO_TIMEOUT=2m      how long to wait for every object to become Ready
//	DEMO_SCIM_PORT=8765  serve the fake on this loopback port (default: any free port)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

// accountName is the DatabricksAccount the samples' identities reference.
const accountName = "main"

type config struct {
	exitAfterTable bool
	timeout        time.Duration
	scimAddr       string
}

func main() {
	cfg, err := parseEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	os.Exit(run(ctx, cfg, os.Stdout))
}

func parseEnv() (config, error) {
	cfg := config{timeout: 2 * time.Minute}
	if v := os.Getenv("DEMO_EXIT"); v != "" && v != "0" && !strings.EqualFold(v, "false") {
		cfg.exitAfterTable = true
	}
	if v := os.Getenv("DEMO_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("DEMO_TIMEOUT=%q is not a positive duration such as 2m", v)
		}
		cfg.timeout = d
	}
	if v := os.Getenv("DEMO_SCIM_PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 0 || port > 65535 {
			return cfg, fmt.Errorf("DEMO_SCIM_PORT=%q is not a port number", v)
		}
		if port != 0 {
			cfg.scimAddr = fmt.Sprintf("127.0.0.1:%d", port)
		}
	}
	return cfg, nil
}

// run returns the exit code.
func run(ctx context.Context, cfg config, out io.Writer) int {
	fmt.Fprintln(out, "databricks-scim-operator demo: local control plane + fake Databricks account SCIM server, all on loopback")
	s, err := localenv.NewStack(localenv.StackOptions{Out: out})
	if err != nil {
		fmt.Fprintln(out, "demo:", err)
		return 1
	}
	code := demo(ctx, cfg, s, out)
	var running []string
	if len(s.Managers) > 0 {
		running = append(running, "the manager")
	}
	if s.Fake != nil {
		running = append(running, "the fake SCIM server")
	}
	if s.CP != nil {
		running = append(running, "the control plane")
	}
	if len(running) > 0 {
		fmt.Fprintf(out, "==> stopping %s; removing %s\n", strings.Join(running, ", "), s.Dir)
	} else {
		fmt.Fprintf(out, "==> removing %s\n", s.Dir)
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(out, "    cleanup: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	fmt.Fprintf(out, "    stopped in %s; the demo ran for %s\n", localenv.Round(time.Since(start)), localenv.Round(s.Elapsed()))
	return code
}

func demo(ctx context.Context, cfg config, s *localenv.Stack, out io.Writer) int {
	var mgr *localenv.Manager
	fail := func(err error) int {
		if ctx.Err() != nil {
			fmt.Fprintln(out, "\ninterrupted")
			return 130
		}
		fmt.Fprintf(out, "\ndemo failed: %v\n", err)
		if mgr != nil {
			printManagerLog(out, mgr)
		}
		return 1
	}
	if err := preflight(cfg, s); err != nil {
		return fail(err)
	}
	steps := []struct {
		title string
		fn    func() error
	}{
		{"building the manager and the fake SCIM server (go build, incremental)", func() error {
			return s.Build(ctx)
		}},
		{"starting the local control plane (etcd + kube-apiserver) and installing the CRDs", func() error {
			if err := s.StartControlPlane(); err != nil {
				return err
			}
			fmt.Fprintf(out, "    kube-apiserver at %s\n", s.CP.Server())
			return nil
		}},
		{"starting the fake Databricks account SCIM server (cmd/scimfake)", func() error {
			if err := s.StartFake(ctx, localenv.FakeOptions{Addr: cfg.scimAddr}); err != nil {
				if errors.Is(err, localenv.ErrPortInUse) && cfg.scimAddr != "" {
					return fmt.Errorf("%w\n    unset DEMO_SCIM_PORT (or set it to 0) to use any free port", err)
				}
				return err
			}
			fmt.Fprintf(out, "    serving account %s at %s\n", s.Fake.AccountID, s.Fake.URL)
			return nil
		}},
		{"creating the operator's ServiceAccount, bound only to config/rbac, and its token kubeconfig", func() error {
			if err := s.InstallOperatorRBAC(ctx, localenv.RBACOptions{}); err != nil {
				return err
			}
			fmt.Fprintf(out, "    authenticated as %s\n", s.Operator.Username)
			return nil
		}},
		{fmt.Sprintf("creating the token Secret %s/%s and DatabricksAccount %q pointing at the fake", localenv.OperatorNamespace, localenv.TokenSecretName, accountName), func() error {
			if err := localenv.CreateTokenSecret(ctx, s.CP.Client, s.Fake); err != nil {
				return err
			}
			return localenv.CreateAccount(ctx, s.CP.Client, accountName, s.Fake)
		}},
		{"applying config/samples (its DatabricksAccount replaced by the demo's own)", func() error {
			return applySamples(ctx, s, out)
		}},
		{"starting the manager (--secret-namespace " + localenv.OperatorNamespace + ", leader election off)", func() error {
			var err error
			mgr, err = s.StartManager(ctx, localenv.ManagerOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "    pid %d, log %s\n", mgr.Pid(), mgr.LogPath)
			return nil
		}},
		{fmt.Sprintf("waiting until every object is Ready (timeout %s)", cfg.timeout), func() error {
			_, err := s.CP.WaitReady(ctx, localenv.WaitOptions{
				Namespace:  "default",
				Timeout:    cfg.timeout,
				MinObjects: 2,
				Abort:      mgr.Done(),
				AbortErr:   func() error { return fmt.Errorf("the manager exited (%s)", exitStatus(mgr)) },
			})
			var nre *localenv.NotReadyError
			if errors.As(err, &nre) {
				fmt.Fprintln(out, "\nkubectl get databricks:")
				_ = s.CP.PrintCategory(ctx, out, localenv.Category, "default")
			}
			return err
		}},
	}
	for i, st := range steps {
		if err := s.Step(fmt.Sprintf("[%d/%d] %s", i+1, len(steps), st.title), st.fn); err != nil {
			return fail(err)
		}
	}

	fmt.Fprintf(out, "\nEverything is Ready after %s. kubectl get databricks:\n\n", localenv.Round(s.Elapsed()))
	if err := printTable(ctx, out, s.CP); err != nil {
		return fail(err)
	}
	fmt.Fprintf(out, `
kubeconfig (admin):        %s
  export KUBECONFIG=%s
  export PATH=%s:$PATH   # kubectl, built from Go modules with the control plane
  kubectl get databricks
  kubectl get dbxuser alice -o yaml
  kubectl describe dbxgroup data-engineers
  kubectl patch dbxuser bob --type merge -p '{"spec":{"active":false}}'
operator kubeconfig:       %s  (ServiceAccount %s)
manager log:               %s
fake SCIM API:             %s  (bearer token %s; GET %s/_fake/stats)
`, s.CP.Kubeconfig, s.CP.Kubeconfig, s.CP.Assets, s.Operator.Kubeconfig, s.Operator.Username, mgr.LogPath, s.Fake.SCIMBase(), s.Fake.Token, s.Fake.URL)

	if cfg.exitAfterTable {
		fmt.Fprintln(out, "\nDEMO_EXIT is set: exiting.")
		return 0
	}
	fmt.Fprintln(out, "\nThe demo keeps running; press Ctrl-C to stop it and remove everything it created.")
	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "\nCtrl-C received.")
		return 0
	case <-mgr.Done():
		return fail(fmt.Errorf("the manager exited unexpectedly (%s)", exitStatus(mgr)))
	case <-s.Fake.Done():
		return fail(fmt.Errorf("the fake SCIM server exited unexpectedly; its log:\n%s", indentLines(s.Fake.Tail(20))))
	}
}

// preflight reports what would make a later step fail, before anything is
// built or started: a missing go command or control plane, a port in use.
func preflight(cfg config, s *localenv.Stack) error {
	if _, err := localenv.GoTool(); err != nil {
		return err
	}
	if _, err := localenv.AssetsDir(s.Root); err != nil {
		return err
	}
	if cfg.scimAddr != "" {
		if err := localenv.CheckAddrFree(cfg.scimAddr, "the fake Databricks SCIM server (DEMO_SCIM_PORT)"); err != nil {
			return fmt.Errorf("%w\n    unset DEMO_SCIM_PORT (or set it to 0) to use any free port", err)
		}
	}
	return nil
}

// applySamples applies config/samples as `kubectl apply -k` would, minus its
// DatabricksAccount (the demo created its own, pointing at the fake).
func applySamples(ctx context.Context, s *localenv.Stack, out io.Writer) error {
	objs, err := localenv.ReadManifests(localenv.SamplesDir(s.Root))
	if err != nil {
		return err
	}
	objs = localenv.WithoutKind(objs, "DatabricksAccount")
	for _, o := range objs {
		if ref, _, _ := unstructured.NestedString(o.Object, "spec", "accountRef", "name"); ref != "" && ref != accountName {
			fmt.Fprintf(out, "    warning: %s references account %q, which the demo does not create; it will not become Ready\n", localenv.Describe(o), ref)
		}
	}
	// The sample admin group holds account_admin: the account grants that
	// permission to namespaces with the admin label.
	if err := localenv.GrantAccountAdmin(ctx, s.CP.Client, "default"); err != nil {
		return err
	}
	if err := localenv.Apply(ctx, s.CP.Client, "default", objs); err != nil {
		return err
	}
	fmt.Fprintf(out, "    applied %d objects into namespace default: %s\n", len(objs), strings.Join(localenv.Kinds(objs), ", "))
	return nil
}

// printManagerLog shows the manager's recent errors, or the end of its log.
func printManagerLog(out io.Writer, m *localenv.Manager) {
	if errs := m.LogLines("error"); len(errs) > 0 {
		if len(errs) > 15 {
			errs = errs[len(errs)-15:]
		}
		fmt.Fprintf(out, "\nlast errors in the manager log (%s):\n%s\n", m.LogPath, indentLines(strings.Join(errs, "\n")))
		return
	}
	fmt.Fprintf(out, "\nlast lines of the manager log (%s):\n%s\n", m.LogPath, indentLines(m.Tail(15)))
}

func exitStatus(m *localenv.Manager) string {
	if _, err := m.Exited(); err != nil {
		return err.Error()
	}
	return "exit status 0"
}

func indentLines(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// printTable shows the demo's objects with the kubectl the demo tells the user
// to run, so the printed commands are known to work; without a built kubectl
// (an assets directory from before it was added) the same table comes from
// the API server's table printer.
func printTable(ctx context.Context, out io.Writer, cp *localenv.ControlPlane) error {
	if cp.KubectlPath() == "" {
		return cp.PrintCategory(ctx, out, localenv.Category, "default")
	}
	table, err := cp.Kubectl(ctx, "get", localenv.Category, "--namespace", "default")
	if err != nil {
		return err
	}
	_, err = out.Write(table)
	return err
}
