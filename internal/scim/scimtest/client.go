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

// Package scimtest provides a scim.Client for unit tests whose behaviour is
// set per method through function fields. A method whose field is nil fails
// with an *UnexpectedCallError and is recorded, so a test states every call
// it expects and can prove that nothing else was called.
package scimtest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Client is a scim.Client whose methods call the function field of the
// same name. A nil field makes the method return an *UnexpectedCallError.
// Every call, expected or not, is recorded (see Calls).
//
// The zero value is ready to use. Set the function fields before the client
// is shared with another goroutine (an inventory lists from one); the
// recording itself is safe for concurrent use.
type Client struct {
	ListUsersFunc          func(ctx context.Context, opts scim.ListOptions, fn func(scim.User) error) error
	GetUserFunc            func(ctx context.Context, id string) (*scim.User, error)
	CreateUserFunc         func(ctx context.Context, u scim.User) (*scim.User, error)
	PatchUserFunc          func(ctx context.Context, id string, ops []scim.Operation) error
	DeleteUserFunc         func(ctx context.Context, id string) error
	FindUserByUserNameFunc func(ctx context.Context, userName string) (*scim.User, error)

	ListServicePrincipalsFunc               func(ctx context.Context, opts scim.ListOptions, fn func(scim.ServicePrincipal) error) error
	GetServicePrincipalFunc                 func(ctx context.Context, id string) (*scim.ServicePrincipal, error)
	CreateServicePrincipalFunc              func(ctx context.Context, sp scim.ServicePrincipal) (*scim.ServicePrincipal, error)
	PatchServicePrincipalFunc               func(ctx context.Context, id string, ops []scim.Operation) error
	DeleteServicePrincipalFunc              func(ctx context.Context, id string) error
	FindServicePrincipalByApplicationIDFunc func(ctx context.Context, appID string) (*scim.ServicePrincipal, error)

	ListGroupsFunc             func(ctx context.Context, opts scim.ListOptions, fn func(scim.Group) error) error
	GetGroupFunc               func(ctx context.Context, id string) (*scim.Group, error)
	CreateGroupFunc            func(ctx context.Context, g scim.Group) (*scim.Group, error)
	PatchGroupFunc             func(ctx context.Context, id string, ops []scim.Operation) error
	DeleteGroupFunc            func(ctx context.Context, id string) error
	FindGroupByDisplayNameFunc func(ctx context.Context, name string) (*scim.Group, error)

	PingFunc func(ctx context.Context) error

	mu         sync.Mutex
	calls      []string
	unexpected []string
}

var _ scim.Client = (*Client)(nil)

// New returns an empty Client whose unexpected calls fail t when the test
// ends.
func New(t testing.TB) *Client {
	t.Helper()
	c := &Client{}
	t.Cleanup(func() {
		for _, call := range c.Unexpected() {
			t.Errorf("scimtest: unexpected call to %s", call)
		}
	})
	return c
}

// UnexpectedCallError is what a method without a function field returns.
type UnexpectedCallError struct {
	// Call is the method and its identifying argument, e.g. "GetUser(u1)".
	Call string
}

// Error implements error.
func (e *UnexpectedCallError) Error() string { return "scimtest: unexpected call to " + e.Call }

// Calls returns every call made so far, in order, each as the method name
// and its identifying argument: "ListUsers", "GetUser(u1)",
// "CreateUser(alice@example.com)", "PatchUser(u1)", "Ping".
func (c *Client) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Unexpected returns the calls that had no function field, in order.
func (c *Client) Unexpected() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.unexpected)
}

// Count returns how many calls of the method (a name such as "PatchUser")
// were made.
func (c *Client) Count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, call := range c.calls {
		if call == method || strings.HasPrefix(call, method+"(") {
			n++
		}
	}
	return n
}

// Reset forgets the calls recorded so far; the function fields stay.
func (c *Client) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.unexpected = nil, nil
}

// record notes a call; it returns an *UnexpectedCallError when the
// method has no function field (set is false).
func (c *Client) record(set bool, method string, arg ...string) error {
	call := method
	if len(arg) > 0 {
		call += "(" + strings.Join(arg, ", ") + ")"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
	if set {
		return nil
	}
	c.unexpected = append(c.unexpected, call)
	return &UnexpectedCallError{Call: call}
}

// ListUsers calls ListUsersFunc.
func (c *Client) ListUsers(ctx context.Context, opts scim.ListOptions, fn func(scim.User) error) error {
	if err := c.record(c.ListUsersFunc != nil, "ListUsers"); err != nil {
		return err
	}
	return c.ListUsersFunc(ctx, opts, fn)
}

// GetUser calls GetUserFunc.
func (c *Client) GetUser(ctx context.Context, id string) (*scim.User, error) {
	if err := c.record(c.GetUserFunc != nil, "GetUser", id); err != nil {
		return nil, err
	}
	return c.GetUserFunc(ctx, id)
}

// CreateUser calls CreateUserFunc; the call is recorded with the userName.
func (c *Client) CreateUser(ctx context.Context, u scim.User) (*scim.User, error) {
	if err := c.record(c.CreateUserFunc != nil, "CreateUser", u.UserName); err != nil {
		return nil, err
	}
	return c.CreateUserFunc(ctx, u)
}

// PatchUser calls PatchUserFunc.
func (c *Client) PatchUser(ctx context.Context, id string, ops []scim.Operation) error {
	if err := c.record(c.PatchUserFunc != nil, "PatchUser", id); err != nil {
		return err
	}
	return c.PatchUserFunc(ctx, id, ops)
}

// DeleteUser calls DeleteUserFunc.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if err := c.record(c.DeleteUserFunc != nil, "DeleteUser", id); err != nil {
		return err
	}
	return c.DeleteUserFunc(ctx, id)
}

// FindUserByUserName calls FindUserByUserNameFunc.
func (c *Client) FindUserByUserName(ctx context.Context, userName string) (*scim.User, error) {
	if err := c.record(c.FindUserByUserNameFunc != nil, "FindUserByUserName", userName); err != nil {
		return nil, err
	}
	return c.FindUserByUserNameFunc(ctx, userName)
}

// ListServicePrincipals calls ListServicePrincipalsFunc.
func (c *Client) ListServicePrincipals(ctx context.Context, opts scim.ListOptions, fn func(scim.ServicePrincipal) error) error {
	if err := c.record(c.ListServicePrincipalsFunc != nil, "ListServicePrincipals"); err != nil {
		return err
	}
	return c.ListServicePrincipalsFunc(ctx, opts, fn)
}

// GetServicePrincipal calls GetServicePrincipalFunc.
func (c *Client) GetServicePrincipal(ctx context.Context, id string) (*scim.ServicePrincipal, error) {
	if err := c.record(c.GetServicePrincipalFunc != nil, "GetServicePrincipal", id); err != nil {
		return nil, err
	}
	return c.GetServicePrincipalFunc(ctx, id)
}

// CreateServicePrincipal calls CreateServicePrincipalFunc; the call is
// recorded with the applicationId, or the displayName when there is none.
func (c *Client) CreateServicePrincipal(ctx context.Context, sp scim.ServicePrincipal) (*scim.ServicePrincipal, error) {
	key := sp.ApplicationID
	if key == "" {
		key = sp.DisplayName
	}
	if err := c.record(c.CreateServicePrincipalFunc != nil, "CreateServicePrincipal", key); err != nil {
		return nil, err
	}
	return c.CreateServicePrincipalFunc(ctx, sp)
}

// PatchServicePrincipal calls PatchServicePrincipalFunc.
func (c *Client) PatchServicePrincipal(ctx context.Context, id string, ops []scim.Operation) error {
	if err := c.record(c.PatchServicePrincipalFunc != nil, "PatchServicePrincipal", id); err != nil {
		return err
	}
	return c.PatchServicePrincipalFunc(ctx, id, ops)
}

// DeleteServicePrincipal calls DeleteServicePrincipalFunc.
func (c *Client) DeleteServicePrincipal(ctx context.Context, id string) error {
	if err := c.record(c.DeleteServicePrincipalFunc != nil, "DeleteServicePrincipal", id); err != nil {
		return err
	}
	return c.DeleteServicePrincipalFunc(ctx, id)
}

// FindServicePrincipalByApplicationID calls FindServicePrincipalByApplicationIDFunc.
func (c *Client) FindServicePrincipalByApplicationID(ctx context.Context, appID string) (*scim.ServicePrincipal, error) {
	if err := c.record(c.FindServicePrincipalByApplicationIDFunc != nil, "FindServicePrincipalByApplicationID", appID); err != nil {
		return nil, err
	}
	return c.FindServicePrincipalByApplicationIDFunc(ctx, appID)
}

// ListGroups calls ListGroupsFunc.
func (c *Client) ListGroups(ctx context.Context, opts scim.ListOptions, fn func(scim.Group) error) error {
	if err := c.record(c.ListGroupsFunc != nil, "ListGroups"); err != nil {
		return err
	}
	return c.ListGroupsFunc(ctx, opts, fn)
}

// GetGroup calls GetGroupFunc.
func (c *Client) GetGroup(ctx context.Context, id string) (*scim.Group, error) {
	if err := c.record(c.GetGroupFunc != nil, "GetGroup", id); err != nil {
		return nil, err
	}
	return c.GetGroupFunc(ctx, id)
}

// CreateGroup calls CreateGroupFunc; the call is recorded with the displayName.
func (c *Client) CreateGroup(ctx context.Context, g scim.Group) (*scim.Group, error) {
	if err := c.record(c.CreateGroupFunc != nil, "CreateGroup", g.DisplayName); err != nil {
		return nil, err
	}
	return c.CreateGroupFunc(ctx, g)
}

// PatchGroup calls PatchGroupFunc.
func (c *Client) PatchGroup(ctx context.Context, id string, ops []scim.Operation) error {
	if err := c.record(c.PatchGroupFunc != nil, "PatchGroup", id); err != nil {
		return err
	}
	return c.PatchGroupFunc(ctx, id, ops)
}

// DeleteGroup calls DeleteGroupFunc.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	if err := c.record(c.DeleteGroupFunc != nil, "DeleteGroup", id); err != nil {
		return err
	}
	return c.DeleteGroupFunc(ctx, id)
}

// FindGroupByDisplayName calls FindGroupByDisplayNameFunc.
func (c *Client) FindGroupByDisplayName(ctx context.Context, name string) (*scim.Group, error) {
	if err := c.record(c.FindGroupByDisplayNameFunc != nil, "FindGroupByDisplayName", name); err != nil {
		return nil, err
	}
	return c.FindGroupByDisplayNameFunc(ctx, name)
}

// Ping calls PingFunc.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.record(c.PingFunc != nil, "Ping"); err != nil {
		return err
	}
	return c.PingFunc(ctx)
}

// Lists sets ListUsersFunc, ListServicePrincipalsFunc and ListGroupsFunc
// to serve the given objects as the account's listing (options are
// ignored), so an inventory refreshed through c loads exactly this state.
func (c *Client) Lists(users []scim.User, sps []scim.ServicePrincipal, groups []scim.Group) {
	c.ListUsersFunc = func(_ context.Context, _ scim.ListOptions, fn func(scim.User) error) error {
		return each(users, fn)
	}
	c.ListServicePrincipalsFunc = func(_ context.Context, _ scim.ListOptions, fn func(scim.ServicePrincipal) error) error {
		return each(sps, fn)
	}
	c.ListGroupsFunc = func(_ context.Context, _ scim.ListOptions, fn func(scim.Group) error) error {
		return each(groups, fn)
	}
}

func each[T any](items []T, fn func(T) error) error {
	for _, it := range items {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// HTTPError returns the *scim.APIError the HTTP client returns for an
// answer with this status and no body. A throttled status (429, 503) gets
// the 1 s Retry-After the client assumes when the server names none.
func HTTPError(status int) *scim.APIError {
	e := &scim.APIError{StatusCode: status, Message: http.StatusText(status)}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = time.Second
	}
	return e
}

// String describes the client for failure messages: the calls made.
func (c *Client) String() string {
	return fmt.Sprintf("scimtest.Client{calls: %q}", c.Calls())
}
