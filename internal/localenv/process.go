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
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child process whose output (stdout and stderr) goes to a log file.
type Process struct {
	// Name is used in messages ("manager", "scimfake").
	Name string
	// LogPath is the file that receives the process's output.
	LogPath string

	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{}
	waitErr error
	stopMu  sync.Mutex
	stopped bool
}

// StartProcess runs bin with args and env (appended to a copy of this
// process's environment, later entries winning) in its own process group, so
// a Ctrl-C in the terminal reaches only the parent, which stops the children
// in order. On Linux the child is also killed if the parent dies.
func StartProcess(name, bin string, args, env []string, logPath string) (*Process, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open its log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = mergeEnv(os.Environ(), env)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: cannot start %s: %w", name, bin, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, logFile: f, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// mergeEnv returns base with the entries of extra added, replacing variables of the same name.
func mergeEnv(base, extra []string) []string {
	names := make(map[string]bool, len(extra))
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		names[k] = true
	}
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !names[k] {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop asks the process to exit (SIGTERM to its process group) and kills it
// if it is still running after grace. It is safe to call more than once. The
// error reports a process that had to be killed or that had already failed.
func (p *Process) Stop(grace time.Duration) error {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if exited, err := p.Exited(); exited {
		if p.stopped || err == nil {
			return nil
		}
		p.stopped = true
		return fmt.Errorf("%s had already exited: %w", p.Name, err)
	}
	p.stopped = true
	_ = signalGroup(p.cmd.Process, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = signalGroup(p.cmd.Process, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.Pid())
	}
	return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", p.Name, grace)
}

// Log returns everything the process has written so far.
func (p *Process) Log() string {
	raw, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	return string(raw)
}

// Tail returns the last n lines the process wrote.
func (p *Process) Tail(n int) string { return tailLines(p.Log(), n) }

func tailLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exitError describes a process that exited while it was expected to run.
func (p *Process) exitError(doing string) error {
	_, err := p.Exited()
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%s exited while %s (%v); last lines of %s:\n%s", p.Name, doing, err, p.LogPath, indent(p.Tail(20), "    "))
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	if s == "" {
		return prefix + "(no output)"
	}
	var b bytes.Buffer
	for line := range strings.SplitSeq(s, "\n") {
		b.WriteString(prefix)
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// orDiscard returns w, or io.Discard when w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
