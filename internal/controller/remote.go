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

package controller

import (
	"context"
	"fmt"
	"strings"
)

// remote binds the shared sync algorithm to one object of one kind and its
// account. Lookups read the inventory; every write records its result there.
type remote[R any] interface {
	// describe names the natural key for messages, e.g. user "a@b.c".
	describe() string
	// naturalKey is the create-pending marker's value.
	naturalKey() string
	// byID returns the remote object from the inventory, or nil when it is
	// not there (deleted, or skipped by a list: confirm with get).
	byID(ctx context.Context, id string) (*R, error)
	// get reads the remote object directly, or nil on 404.
	get(ctx context.Context, id string) (*R, error)
	// byKey returns the remote object with the natural key from the
	// inventory, nil, or an *ambiguousError.
	byKey(ctx context.Context) (*R, error)
	// lookup asks Databricks directly for the natural key (after a 409).
	lookup(ctx context.Context) (*R, error)
	create(ctx context.Context) (*R, error)
	// update patches what drifted and returns the object as it now is.
	update(ctx context.Context, current *R) (after *R, changed []string, err error)
	// remove applies the deletion policy; it returns the event reason, or "" when nothing was done.
	remove(ctx context.Context, id string) (string, error)
	id(*R) string
	// mirror copies what status shows of the remote object.
	mirror(*R)
}

// ambiguousError: several remote objects have the natural key.
type ambiguousError struct {
	describe string
	ids      []string
}

func (e *ambiguousError) Error() string {
	return fmt.Sprintf("%d remote objects match %s (SCIM ids %s); none is adopted", len(e.ids), e.describe, strings.Join(e.ids, ", "))
}

// orGone turns a confirming read that found nothing into a not-found error.
func orGone(err error, id string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("SCIM id %s no longer exists", id)
}

// found adapts an inventory lookup to the remote interface.
func found[R any](v R, ok bool) (*R, error) {
	if !ok {
		return nil, nil
	}
	return &v, nil
}
