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

// Package remote reads a Databricks account for `kubectl databricks`: the
// token from a file or the environment, the operator's SCIM client with
// Databricks' rate limits and Retry-After, and a Snapshot made of the same
// paged lists the operator's inventory makes plus one GET per group whose
// members are needed.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// TokenEnv is the environment variable a token is read from when no token
// file is given. It is not DATABRICKS_TOKEN on purpose: that one usually
// holds a workspace token, which the account SCIM API does not accept.
const TokenEnv = "DATABRICKS_SCIM_TOKEN"

// maxTokenFile bounds what is read from a token file.
const maxTokenFile = 64 << 10

// LoadToken returns the SCIM token from file (when not empty) or from the
// environment variable TokenEnv. Leading and trailing white space (the
// newline of `echo token > file`) is not part of the token. Errors never
// contain the token or any part of the file.
func LoadToken(file string, getenv func(string) string) (string, error) {
	var raw, from string
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("reading the token file: %w", err)
		}
		defer func() { _ = f.Close() }()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
		if err != nil {
			return "", fmt.Errorf("reading the token file %s failed", file)
		}
		if len(b) > maxTokenFile {
			return "", fmt.Errorf("the token file %s is larger than %d bytes: is it the right file?", file, maxTokenFile)
		}
		raw, from = string(b), "the token file "+file
	} else {
		raw, from = getenv(TokenEnv), "$"+TokenEnv
	}
	token := strings.TrimSpace(raw)
	switch {
	case token == "" && file == "" && raw == "":
		return "", fmt.Errorf("no SCIM token: give --token-file FILE or set %s (tokens are never accepted as flags)", TokenEnv)
	case token == "":
		return "", fmt.Errorf("%s is empty", from)
	case strings.ContainsFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "", fmt.Errorf("%s holds white space or control characters inside the token: it should hold the token alone", from)
	}
	return token, nil
}

// Config says which account to read and how.
type Config struct {
	// Host is the account console URL; https unless AllowLoopback admits a loopback host.
	Host string
	// AccountID is the Databricks account id.
	AccountID string
	// APIVersion is "2.1" (default) or "2.0".
	APIVersion string
	// Token is the SCIM token.
	Token string
	// AllowLoopback admits localhost, 127.0.0.0/8 and ::1 over http or
	// https (the fake server in tests and demos).
	AllowLoopback bool
	// Limits are the client-side rates; zero fields are Databricks' published limits.
	Limits scim.Limits
	// UserAgent is sent with every request.
	UserAgent string
	// Observer sees every call (for call counts).
	Observer scim.Observer
}

// NewClient builds the operator's SCIM client for cfg. The host is the one
// the user named, so any https host is allowed; a loopback host only with
// AllowLoopback. Redirects are never followed (the token stays on that host).
func NewClient(cfg Config) (*scim.HTTPClient, error) {
	policy := scim.HostPolicy{AllowLoopback: cfg.AllowLoopback}
	u, err := url.Parse(strings.TrimSpace(cfg.Host))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--host %q is not a URL like https://accounts.cloud.databricks.com", cfg.Host)
	}
	hostname := u.Hostname()
	switch {
	case scim.IsLoopbackHost(hostname) && !cfg.AllowLoopback:
		return nil, fmt.Errorf("--host %s is a loopback host, which is only for tests and demos: add --allow-loopback-host", u.Scheme+"://"+u.Host)
	case !scim.IsLoopbackHost(hostname) && u.Scheme != "https":
		return nil, fmt.Errorf("--host %s must use https", u.Scheme+"://"+u.Host)
	case !scim.IsLoopbackHost(hostname):
		policy.Allowed = []string{u.Host}
	}
	c, err := scim.New(scim.Config{
		Host: cfg.Host, Hosts: policy, AccountID: cfg.AccountID, APIVersion: cfg.APIVersion,
		Token: scim.StaticToken(cfg.Token), UserAgent: cfg.UserAgent, Limits: cfg.Limits, Observer: cfg.Observer,
	})
	if err != nil {
		var hostErr *scim.HostNotAllowedError
		if errors.As(err, &hostErr) {
			return nil, fmt.Errorf("--host: %s", hostErr.Reason)
		}
		return nil, err
	}
	return c, nil
}

// Explain turns a failed read into advice; the SCIM client's errors never
// carry the token, and neither does this.
func Explain(err error) error {
	apiErr, ok := scim.AsAPIError(err)
	switch {
	case scim.IsUnauthorized(err):
		return fmt.Errorf("the account refused the token (check the token and that it is the account's SCIM token, not a workspace token): %w", err)
	case ok && apiErr.StatusCode == http.StatusNotFound:
		return fmt.Errorf("the account was not found (check --account-id, --host and --api-version): %w", err)
	}
	return err
}

// ReadOptions control Read.
type ReadOptions struct {
	// WantGroup says whose members (and roles) to read: one GET per group.
	// nil reads every group's.
	WantGroup func(scim.Group) bool
	// Concurrency is how many group GETs may be in flight (default 8); the
	// client's limiter still paces them.
	Concurrency int
	// Progress, if set, receives a progress line at most once a second.
	Progress *Progress
}

// Read lists every user, service principal and group (the attributes the
// operator compares, 100 per page) and GETs the groups WantGroup selects
// for their members and roles. Groups are listed first, so their GETs (the
// get class) run while users and service principals are listed (the list
// class): the two rate limits add up instead of queueing behind each other.
// A group deleted between the list and its GET is left out.
func Read(ctx context.Context, c scim.Client, o ReadOptions) (manifest.Snapshot, error) {
	var s manifest.Snapshot
	p := o.Progress
	if p == nil {
		p = &Progress{}
	}
	defer p.Done()
	if err := c.ListGroups(ctx, scim.ListOptions{Attributes: inventory.GroupAttributes}, func(g scim.Group) error {
		g.Members, g.Roles = nil, nil
		s.Groups = append(s.Groups, g)
		p.groups.Add(1)
		p.Tick()
		return nil
	}); err != nil {
		return s, fmt.Errorf("listing groups: %w", Explain(err))
	}
	var want []int
	for i, g := range s.Groups {
		if o.WantGroup == nil || o.WantGroup(g) {
			want = append(want, i)
		}
	}
	p.detailsWanted.Store(int64(len(want)))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type details struct {
		gone map[int]bool
		err  error
	}
	done := make(chan details, 1)
	groups := s.Groups // the GETs fill in members and roles in place
	go func() {
		gone, err := readDetails(ctx, c, groups, want, o.Concurrency, p)
		done <- details{gone, err}
	}()
	listErr := func() error {
		if err := c.ListUsers(ctx, scim.ListOptions{Attributes: inventory.UserAttributes}, func(u scim.User) error {
			s.Users = append(s.Users, u)
			p.users.Add(1)
			p.Tick()
			return nil
		}); err != nil {
			return fmt.Errorf("listing users: %w", Explain(err))
		}
		if err := c.ListServicePrincipals(ctx, scim.ListOptions{Attributes: inventory.SPAttributes}, func(sp scim.ServicePrincipal) error {
			s.ServicePrincipals = append(s.ServicePrincipals, sp)
			p.sps.Add(1)
			p.Tick()
			return nil
		}); err != nil {
			return fmt.Errorf("listing service principals: %w", Explain(err))
		}
		return nil
	}()
	if listErr != nil {
		cancel()
	}
	d := <-done
	switch {
	case listErr != nil:
		return s, listErr
	case d.err != nil:
		return s, d.err
	}
	if len(d.gone) > 0 {
		kept := s.Groups[:0]
		for i, g := range s.Groups {
			if !d.gone[i] {
				kept = append(kept, g)
			}
		}
		s.Groups = kept
	}
	return s, nil
}

// readDetails GETs groups[i] for every i in want, in place; it returns the
// indexes of groups that no longer exist.
func readDetails(ctx context.Context, c scim.Client, groups []scim.Group, want []int, concurrency int, p *Progress) (map[int]bool, error) {
	if concurrency <= 0 {
		concurrency = 8
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		mu       sync.Mutex
		gone     = map[int]bool{}
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(concurrency, max(1, len(want))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				g, err := c.GetGroup(ctx, groups[i].ID)
				mu.Lock()
				switch {
				case scim.IsNotFound(err):
					gone[i] = true
				case err != nil:
					if firstErr == nil {
						firstErr = fmt.Errorf("reading group %q: %w", groups[i].DisplayName, Explain(err))
						cancel()
					}
				default:
					groups[i].Members, groups[i].Roles = g.Members, g.Roles
				}
				mu.Unlock()
				p.details.Add(1)
				p.Tick()
			}
		}()
	}
	for _, i := range want {
		select {
		case work <- i:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return gone, ctx.Err()
}

// Progress prints "reading the account: …" on one line rewritten in place
// once a second on a terminal, as a new line every five seconds otherwise
// (a log).
type Progress struct {
	// Out receives the lines; nil prints nothing.
	Out io.Writer
	// Terminal rewrites one line (carriage return) instead of printing new ones.
	Terminal bool
	// Every is the least time between lines (default 1s on a terminal, 5s otherwise).
	Every time.Duration

	users, sps, groups, details, detailsWanted atomic.Int64

	mu      sync.Mutex
	last    time.Time
	started time.Time
	printed bool
}

// Tick prints the counts if the last line is old enough.
func (p *Progress) Tick() {
	if p.Out == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.started.IsZero() {
		p.started = now
	}
	every := p.Every
	switch {
	case every != 0:
	case p.Terminal:
		every = time.Second
	default:
		every = 5 * time.Second
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.print(now)
}

func (p *Progress) print(now time.Time) {
	line := fmt.Sprintf("reading the account: %d users, %d service principals, %d groups, members of %d/%d groups (%s)",
		p.users.Load(), p.sps.Load(), p.groups.Load(), p.details.Load(), p.detailsWanted.Load(), now.Sub(p.started).Round(time.Second))
	if p.Terminal {
		fmt.Fprintf(p.Out, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.Out, line)
	}
	p.printed = true
}

// Done prints the final counts if a progress line was printed before.
func (p *Progress) Done() {
	if p.Out == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.printed {
		return
	}
	p.print(time.Now())
	if p.Terminal {
		fmt.Fprintln(p.Out)
	}
}
