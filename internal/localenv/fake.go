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
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// FakeOptions configure the fake Databricks account SCIM server process.
type FakeOptions struct {
	// Addr is the loopback address to listen on; empty picks a free port.
	Addr string
	// AccountID is the account served (default scimfake.DefaultAccountID).
	AccountID string
	// Token is the accepted bearer token (default: a random one).
	Token string
	// Args are extra flags for cmd/scimfake (e.g. --rate-limits databricks --rate-scale 10).
	Args []string
	// StartTimeout bounds the wait for the first answer (default 20s).
	StartTimeout time.Duration
}

// Fake is a running cmd/scimfake process.
type Fake struct {
	*Process
	// URL is http://127.0.0.1:port, the value for DatabricksAccount.spec.host.
	URL       string
	AccountID string
	Token     string
}

// NewToken returns a random fake SCIM token.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dapi-local-" + hex.EncodeToString(b)
}

// StartFake runs bin (the built cmd/scimfake) and waits until it answers an
// authenticated request. Its token is passed in a file under dir, never on
// the command line. With no Addr it picks a free port, retrying if another
// process takes it first; an explicit Addr that is taken fails at once with
// ErrPortInUse.
func StartFake(ctx context.Context, bin, dir string, opts FakeOptions) (*Fake, error) {
	if opts.AccountID == "" {
		opts.AccountID = scimfake.DefaultAccountID
	}
	if opts.Token == "" {
		opts.Token = NewToken()
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 20 * time.Second
	}
	tokenFile := filepath.Join(dir, "scimfake.token")
	if err := os.WriteFile(tokenFile, []byte(opts.Token+"\n"), 0o600); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		addr := opts.Addr
		if addr == "" {
			var err error
			if addr, err = FreeAddr(); err != nil {
				return nil, err
			}
		} else if err := CheckAddrFree(addr, "the fake Databricks SCIM server"); err != nil {
			return nil, err
		}
		args := append([]string{"--listen", addr, "--account-id", opts.AccountID, "--token-file", tokenFile}, opts.Args...)
		p, err := StartProcess("scimfake", bin, args, nil, filepath.Join(dir, "scimfake.log"))
		if err != nil {
			return nil, err
		}
		f := &Fake{Process: p, URL: "http://" + addr, AccountID: opts.AccountID, Token: opts.Token}
		err = waitHTTP(ctx, p, f.URL+"/_fake/stats", f.authHeader(), opts.StartTimeout, func(r *http.Response) bool {
			return r.StatusCode == http.StatusOK
		})
		if err == nil {
			return f, nil
		}
		_ = p.Stop(5 * time.Second)
		if opts.Addr == "" && attempt < 3 && strings.Contains(p.Log(), "address already in use") {
			continue // someone took the free port between the check and the bind
		}
		if strings.Contains(p.Log(), "address already in use") {
			return nil, fmt.Errorf("cannot use %s for the fake Databricks SCIM server: %w", addr, ErrPortInUse)
		}
		return nil, err
	}
}

func (f *Fake) authHeader() http.Header {
	return http.Header{"Authorization": {"Bearer " + f.Token}}
}

// Client returns a SCIM client for the fake, the same client the operator uses.
func (f *Fake) Client() (*scim.HTTPClient, error) {
	return scim.New(scim.Config{
		Host:      f.URL,
		AccountID: f.AccountID,
		Token:     scim.StaticToken(f.Token),
		UserAgent: "localenv",
		Hosts:     scim.HostPolicy{AllowLoopback: true},
		// Assertions must not be slowed by the client's default rate limits.
		Limits: scim.Limits{Get: 1000, List: 1000, Patch: 1000, Write: 1000},
	})
}

// SCIMBase is the account's SCIM collection base URL (API 2.1).
func (f *Fake) SCIMBase() string {
	return f.URL + "/api/2.1/accounts/" + f.AccountID + "/scim/v2"
}

// admin calls one of the fake's /_fake/ endpoints and decodes the JSON answer into out.
func (f *Fake) admin(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequestWithContext(ctx, method, f.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header = f.authHeader()
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(raw)))
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Stats returns the fake's request counts and object totals (GET /_fake/stats).
func (f *Fake) Stats(ctx context.Context) (scimfake.Stats, error) {
	var s scimfake.Stats
	err := f.admin(ctx, http.MethodGet, "/_fake/stats", nil, &s)
	return s, err
}

// Requests returns the fake's request log (GET /_fake/requests).
func (f *Fake) Requests(ctx context.Context) ([]scimfake.RequestRecord, error) {
	var r []scimfake.RequestRecord
	err := f.admin(ctx, http.MethodGet, "/_fake/requests", nil, &r)
	return r, err
}

// ResetRequests clears the fake's request log and counters (POST /_fake/reset-requests).
func (f *Fake) ResetRequests(ctx context.Context) error {
	return f.admin(ctx, http.MethodPost, "/_fake/reset-requests", nil, nil)
}

// SetFaults changes the fake's fault knobs (PUT /_fake/faults).
func (f *Fake) SetFaults(ctx context.Context, fs scimfake.FaultSettings) error {
	return f.admin(ctx, http.MethodPut, "/_fake/faults", fs, nil)
}

// Snapshot is every identity in the fake account, read through the SCIM API.
type Snapshot struct {
	Users             []scim.User
	ServicePrincipals []scim.ServicePrincipal
	// Groups carry their members (one GET per group).
	Groups []scim.Group
}

// Snapshot lists every user, service principal and group, with members.
func (f *Fake) Snapshot(ctx context.Context) (*Snapshot, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := c.ListUsers(ctx, scim.ListOptions{}, func(u scim.User) error { s.Users = append(s.Users, u); return nil }); err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	if err := c.ListServicePrincipals(ctx, scim.ListOptions{}, func(sp scim.ServicePrincipal) error {
		s.ServicePrincipals = append(s.ServicePrincipals, sp)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing service principals: %w", err)
	}
	var ids []string
	if err := c.ListGroups(ctx, scim.ListOptions{Attributes: []string{"id"}}, func(g scim.Group) error { ids = append(ids, g.ID); return nil }); err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	for _, id := range ids {
		g, err := c.GetGroup(ctx, id)
		if err != nil {
			if scim.IsNotFound(err) {
				continue // deleted meanwhile
			}
			return nil, fmt.Errorf("reading group %s: %w", id, err)
		}
		s.Groups = append(s.Groups, *g)
	}
	return &s, nil
}

// User returns the user with userName (case-insensitive), or nil.
func (s *Snapshot) User(userName string) *scim.User {
	for i := range s.Users {
		if strings.EqualFold(s.Users[i].UserName, userName) {
			return &s.Users[i]
		}
	}
	return nil
}

// ServicePrincipal returns the service principal with displayName, or nil.
func (s *Snapshot) ServicePrincipal(displayName string) *scim.ServicePrincipal {
	for i := range s.ServicePrincipals {
		if s.ServicePrincipals[i].DisplayName == displayName {
			return &s.ServicePrincipals[i]
		}
	}
	return nil
}

// Group returns the group with displayName (case-insensitive), or nil.
func (s *Snapshot) Group(displayName string) *scim.Group {
	for i := range s.Groups {
		if strings.EqualFold(s.Groups[i].DisplayName, displayName) {
			return &s.Groups[i]
		}
	}
	return nil
}

// DisplayNameOf names the principal with SCIM id (user name, SP or group display name).
func (s *Snapshot) DisplayNameOf(id string) string {
	for _, u := range s.Users {
		if u.ID == id {
			return "user:" + u.UserName
		}
	}
	for _, sp := range s.ServicePrincipals {
		if sp.ID == id {
			return "sp:" + sp.DisplayName
		}
	}
	for _, g := range s.Groups {
		if g.ID == id {
			return "group:" + g.DisplayName
		}
	}
	return "unknown:" + id
}
