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

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// indexSCIMID: "<account>/<status.id>", to find the resource holding a remote object.
const indexSCIMID = ".status.accountID"

func scimIDIndexValue(o client.Object) []string {
	id := o.(v1.Identity)
	if id.GetIdentityStatus().ID == "" {
		return nil
	}
	return []string{id.GetAccountName() + "/" + id.GetIdentityStatus().ID}
}

// changeRouter turns the SCIM ids a background re-list found changed into
// reconcile requests for the resources that hold them.
type changeRouter struct {
	c     client.Reader
	kinds []routedKind
}

type routedKind struct {
	newList func() client.ObjectList
	events  chan cevent.GenericEvent
}

// changeBuffer absorbs a burst of changes (a console bulk edit) without
// blocking the re-list that found them.
const changeBuffer = 1024

func newChangeRouter(c client.Reader) *changeRouter {
	return &changeRouter{c: c}
}

// route registers a kind and returns the channel its controller watches.
func (r *changeRouter) route(newList func() client.ObjectList) <-chan cevent.GenericEvent {
	ch := make(chan cevent.GenericEvent, changeBuffer)
	r.kinds = append(r.kinds, routedKind{newList: newList, events: ch})
	return ch
}

// notify enqueues, off the caller's goroutine, every resource of the account
// holding one of the ids.
func (r *changeRouter) notify(account string, ids []string) {
	go func() {
		ctx := context.Background()
		for _, id := range ids {
			for _, k := range r.kinds {
				list := k.newList()
				if err := r.c.List(ctx, list, client.MatchingFields{indexSCIMID: account + "/" + id}); err != nil {
					ctrl.Log.Error(err, "Failed to find the resource for a remote change", "account", account, "scimID", id)
					continue
				}
				_ = forEachItem(list, func(o client.Object) { k.events <- cevent.GenericEvent{Object: o} })
			}
		}
	}()
}
