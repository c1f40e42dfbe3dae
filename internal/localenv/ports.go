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
	"net"
	"net/http"
	"syscall"
	"time"
)

// FreeAddr returns a loopback address (127.0.0.1:port) that was free a moment
// ago. Callers that bind it later retry on ErrPortInUse.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cannot listen on loopback: %w", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr, nil
}

// ErrPortInUse is returned (wrapped) when a requested address is taken.
var ErrPortInUse = errors.New("address already in use")

// CheckAddrFree returns an error wrapping ErrPortInUse, naming addr and what
// it was meant for, when something already listens on addr.
func CheckAddrFree(addr, purpose string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot use %s for %s: %w (another process listens there; stop it or choose another port)", addr, purpose, ErrPortInUse)
		}
		return fmt.Errorf("cannot use %s for %s: %w", addr, purpose, err)
	}
	return ln.Close()
}

// waitHTTP polls url until check accepts the response, the process exits or
// timeout passes.
func waitHTTP(ctx context.Context, p *Process, url string, header http.Header, timeout time.Duration, check func(*http.Response) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err == nil {
			ok := check(resp)
			last = resp.Status
			_ = resp.Body.Close()
			if ok {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-p.Done():
			return p.exitError("starting")
		case <-ctx.Done():
			if parentErr := context.Cause(ctx); errors.Is(parentErr, context.Canceled) {
				return parentErr
			}
			return fmt.Errorf("%s did not answer %s within %s (last: %s); last lines of %s:\n%s", p.Name, url, timeout, last, p.LogPath, indent(p.Tail(20), "    "))
		case <-tick.C:
		}
	}
}
