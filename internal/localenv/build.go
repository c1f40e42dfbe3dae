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
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Binary is a command of this repository built into bin/.
type Binary struct {
	// Name of the file under bin/.
	Name string
	// Package to build, relative to the repository root.
	Package string
	// LDFlags passed to go build.
	LDFlags string
}

// The binaries localenv runs.
var (
	ManagerBinary = Binary{Name: "manager", Package: "./cmd/manager", LDFlags: "-X main.version=local"}
	FakeBinary    = Binary{Name: "scimfake", Package: "./cmd/scimfake"}
)

// GoTool returns the go command, with a clear error when it is missing.
func GoTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if p := filepath.Join("/usr/local/go/bin", "go"); isExecutable(p) {
		return p, nil
	}
	return "", errors.New("the go command was not found in PATH: install Go 1.26 (https://go.dev/dl/) or add its bin directory (e.g. /usr/local/go/bin) to PATH")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Build runs `go build` for b into root/bin/<name> and returns the path. The
// build is incremental (Go's build cache), so it is cheap when nothing
// changed; the result is written to a temporary name first and renamed, so
// concurrent builds (tests in parallel packages) never see a partial file.
func Build(ctx context.Context, root string, b Binary, progress io.Writer) (string, error) {
	return BuildTo(ctx, root, filepath.Join(root, "bin"), b, progress)
}

// BuildTo is Build writing to binDir instead of root/bin.
func BuildTo(ctx context.Context, root, binDir string, b Binary, progress io.Writer) (string, error) {
	goTool, err := GoTool()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(binDir, b.Name)
	tmp, err := os.CreateTemp(binDir, "."+b.Name+"-*")
	if err != nil {
		return "", err
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name())

	args := []string{"build", "-o", tmp.Name()}
	if b.LDFlags != "" {
		args = append(args, "-ldflags", b.LDFlags)
	}
	args = append(args, b.Package)
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = root
	var outBuf strings.Builder
	cmd.Stdout = &outBuf
	cmd.Stderr = &outBuf
	// A cold build takes a while: say so.
	slow := time.AfterFunc(10*time.Second, func() {
		fmt.Fprintf(orDiscard(progress), "    still building %s (a cold Go build cache takes a minute or two on 2 cores)...\n", b.Package)
	})
	err = cmd.Run()
	slow.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("go build %s failed: %w\n%s", b.Package, err, indent(strings.TrimSpace(outBuf.String()), "    "))
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	fmt.Fprintf(orDiscard(progress), "    built %s in %s\n", out, since(start))
	return out, nil
}

// since formats the time elapsed since t, rounded for humans.
func since(t time.Time) string { return Round(time.Since(t)).String() }

// Round rounds d to a readable precision (10ms below 10s, 100ms below a minute, else 1s).
func Round(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Second:
		return d.Round(10 * time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Second)
	}
}
