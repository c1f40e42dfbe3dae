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
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// StackOptions configure NewStack.
type StackOptions struct {
	// Root is the repository root (default: FindRepoRoot).
	Root string
	// Out receives progress lines (nil: none).
	Out io.Writer
	// TempParent is where the temporary directory is made (default: os.TempDir()).
	TempParent string
	// BinDir is where Build puts binaries (default: Root/bin).
	BinDir string
}

// Stack is a set of local processes (control plane, fake SCIM server,
// managers) sharing one temporary directory, stopped together by Stop.
type Stack struct {
	Root string
	// Dir is the temporary directory: kubeconfigs, logs, the fake's token file.
	Dir string
	Out io.Writer

	CP       *ControlPlane
	Fake     *Fake
	Operator *Operator
	Managers []*Manager

	bins    map[string]string
	binDir  string
	started time.Time
	mu      sync.Mutex
	stopped bool
}

// NewStack makes the temporary directory. Call Stop when done, whatever happens.
func NewStack(opts StackOptions) (*Stack, error) {
	root := opts.Root
	if root == "" {
		var err error
		if root, err = FindRepoRoot(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(opts.TempParent, "databricks-scim-local-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	binDir := opts.BinDir
	if binDir == "" {
		binDir = filepath.Join(root, "bin")
	}
	return &Stack{Root: root, Dir: dir, Out: orDiscard(opts.Out), bins: map[string]string{}, binDir: binDir, started: time.Now()}, nil
}

// Elapsed is the time since NewStack.
func (s *Stack) Elapsed() time.Duration { return time.Since(s.started) }

// Step prints "==> title", runs fn and prints how long it took.
func (s *Stack) Step(title string, fn func() error) error {
	fmt.Fprintf(s.Out, "==> %s\n", title)
	start := time.Now()
	if err := fn(); err != nil {
		fmt.Fprintf(s.Out, "    FAILED after %s\n", since(start))
		return err
	}
	fmt.Fprintf(s.Out, "    done in %s (total %s)\n", since(start), Round(s.Elapsed()))
	return nil
}

// Build builds the given binaries (default: the manager and the fake) into
// bin/ (StackOptions.BinDir).
func (s *Stack) Build(ctx context.Context, bins ...Binary) error {
	if len(bins) == 0 {
		bins = []Binary{ManagerBinary, FakeBinary}
	}
	for _, b := range bins {
		p, err := BuildTo(ctx, s.Root, s.binDir, b, s.Out)
		if err != nil {
			return err
		}
		s.bins[b.Name] = p
	}
	return nil
}

// Binary returns the path of a binary built by Build (building it if needed).
func (s *Stack) Binary(ctx context.Context, b Binary) (string, error) {
	if p, ok := s.bins[b.Name]; ok {
		return p, nil
	}
	if err := s.Build(ctx, b); err != nil {
		return "", err
	}
	return s.bins[b.Name], nil
}

// StartControlPlane starts etcd and kube-apiserver with the CRDs installed.
func (s *Stack) StartControlPlane() error {
	return s.StartControlPlaneWith(ControlPlaneOptions{})
}

// StartControlPlaneWith starts etcd and kube-apiserver with options.
func (s *Stack) StartControlPlaneWith(opts ControlPlaneOptions) error {
	cp, err := StartControlPlaneWith(s.Root, s.Dir, opts)
	if err != nil {
		return err
	}
	s.CP = cp
	return nil
}

// StartFake starts the fake SCIM server process.
func (s *Stack) StartFake(ctx context.Context, opts FakeOptions) error {
	bin, err := s.Binary(ctx, FakeBinary)
	if err != nil {
		return err
	}
	f, err := StartFake(ctx, bin, s.Dir, opts)
	if err != nil {
		return err
	}
	s.Fake = f
	return nil
}

// InstallOperatorRBAC binds the manager's ServiceAccount to config/rbac and
// writes its token kubeconfig (see the function of the same name).
func (s *Stack) InstallOperatorRBAC(ctx context.Context, opts RBACOptions) error {
	if s.CP == nil {
		return errors.New("the control plane is not running")
	}
	op, err := InstallOperatorRBAC(ctx, s.Root, s.Dir, s.CP, opts)
	if err != nil {
		return err
	}
	s.Operator = op
	return nil
}

// StartManager runs the manager binary. Unset options default to: the
// operator's ServiceAccount kubeconfig (the admin one if InstallOperatorRBAC
// was not called), DefaultManagerArgs, and a log file named after the
// manager's ordinal (manager.log, manager-2.log, ...).
func (s *Stack) StartManager(ctx context.Context, opts ManagerOptions) (*Manager, error) {
	bin, err := s.Binary(ctx, ManagerBinary)
	if err != nil {
		return nil, err
	}
	if opts.Kubeconfig == "" {
		switch {
		case s.Operator != nil:
			opts.Kubeconfig = s.Operator.Kubeconfig
		case s.CP != nil:
			opts.Kubeconfig = s.CP.Kubeconfig
		default:
			return nil, errors.New("the control plane is not running")
		}
	}
	if opts.Args == nil {
		opts.Args = DefaultManagerArgs()
	}
	if opts.LogPath == "" {
		name := "manager.log"
		if n := len(s.Managers); n > 0 {
			name = fmt.Sprintf("manager-%d.log", n+1)
		}
		opts.LogPath = filepath.Join(s.Dir, name)
	}
	m, err := StartManager(ctx, bin, s.Dir, opts)
	if err != nil {
		return nil, err
	}
	s.Managers = append(s.Managers, m)
	return m, nil
}

// Stop stops every process the stack started (managers first, then the
// fake, then the control plane) and removes the temporary directory. It is
// safe to call more than once.
func (s *Stack) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	var errs []error
	for i := len(s.Managers) - 1; i >= 0; i-- {
		errs = append(errs, s.Managers[i].Stop(15*time.Second))
	}
	if s.Fake != nil {
		errs = append(errs, s.Fake.Stop(5*time.Second))
	}
	if s.CP != nil {
		errs = append(errs, s.CP.Stop())
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		errs = append(errs, fmt.Errorf("removing %s: %w", s.Dir, err))
	}
	return errors.Join(errs...)
}
