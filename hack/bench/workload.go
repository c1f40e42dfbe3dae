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

package main

import (
	"fmt"
	"math/rand/v2"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// scale is the size of one benchmark run.
type scale struct {
	name          string
	users, sps    int
	groups        int
	membersPerGrp int
	// nestEvery: every nestEvery-th group also contains two earlier groups.
	nestEvery    int
	syncInterval metav1.Duration
	edits        int
	// order is the order resources are created in (see ordered).
	order string
}

var scales = map[string]scale{
	"full":  {name: "full", users: 10000, sps: 200, groups: 1000, membersPerGrp: 50, nestEvery: 10, syncInterval: metav1.Duration{Duration: 60e9}, edits: 100},
	"small": {name: "small", users: 1000, sps: 20, groups: 100, membersPerGrp: 50, nestEvery: 10, syncInterval: metav1.Duration{Duration: 15e9}, edits: 100},
	// xl's interval leaves room for one sync's calls: 560 list pages at
	// 40/s and 5,000 group GETs at 200/s are about 39 s at the x10 limits.
	"xl": {name: "xl", users: 50000, sps: 1000, groups: 5000, membersPerGrp: 50, nestEvery: 10, syncInterval: metav1.Duration{Duration: 120e9}, edits: 100},
}

// scaleNames lists the scales for usage and error messages.
const scaleNames = "small, full or xl"

// objects builds the workload: users and service principals first, then
// groups whose members are drawn from them (and, for some, earlier groups).
func (s scale) objects(ns, account string) []client.Object {
	var objs []client.Object
	for i := 0; i < s.users; i++ {
		u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: userName(i), Namespace: ns}}
		u.Spec.AccountRef.Name = account
		u.Spec.UserName = userName(i) + "@example.com"
		u.Spec.DisplayName = fmt.Sprintf("User %d", i)
		objs = append(objs, u)
	}
	for i := 0; i < s.sps; i++ {
		sp := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sp-%04d", i), Namespace: ns}}
		sp.Spec.AccountRef.Name = account
		sp.Spec.DisplayName = fmt.Sprintf("sp-%04d", i)
		objs = append(objs, sp)
	}
	for i := 0; i < s.groups; i++ {
		g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("group-%04d", i), Namespace: ns}}
		g.Spec.AccountRef.Name = account
		g.Spec.DisplayName = fmt.Sprintf("group-%04d", i)
		g.Spec.Members = s.members(i)
		objs = append(objs, g)
	}
	return objs
}

func validOrder(o string) bool {
	return o == "users-first" || o == "groups-first" || o == "shuffled"
}

// ordered puts objs (users and service principals, then groups) in the
// scale's create order: as built, groups before the resources they name
// (kubectl apply -f dir/, Argo CD and Flux apply custom kinds by name, and
// "Group" sorts before "ServicePrincipal" and "User"), or shuffled with a
// fixed seed so runs compare.
func (s scale) ordered(objs []client.Object) []client.Object {
	switch s.order {
	case "groups-first":
		var groups, rest []client.Object
		for _, o := range objs {
			if _, ok := o.(*v1.Group); ok {
				groups = append(groups, o)
			} else {
				rest = append(rest, o)
			}
		}
		return append(groups, rest...)
	case "shuffled":
		out := append([]client.Object(nil), objs...)
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	return objs
}

func userName(i int) string { return fmt.Sprintf("user-%05d", i) }

// members gives group i a deterministic spread of users, two service
// principals, and two earlier groups for every nestEvery-th group.
func (s scale) members(i int) []v1.GroupMember {
	var m []v1.GroupMember
	n := s.membersPerGrp
	if s.nestEvery > 0 && i%s.nestEvery == 0 && i >= 2 {
		m = append(m, v1.GroupMember{GroupRef: &v1.LocalObjectReference{Name: fmt.Sprintf("group-%04d", i-1)}},
			v1.GroupMember{GroupRef: &v1.LocalObjectReference{Name: fmt.Sprintf("group-%04d", i-2)}})
		n -= 2
	}
	if s.sps > 0 {
		for k := 0; k < 2; k++ {
			m = append(m, v1.GroupMember{ServicePrincipalRef: &v1.LocalObjectReference{Name: fmt.Sprintf("sp-%04d", (i*2+k)%s.sps)}})
		}
		n -= 2
	}
	for k := 0; k < n; k++ {
		m = append(m, v1.GroupMember{UserRef: &v1.LocalObjectReference{Name: userName((i*n + k*7919) % s.users)}})
	}
	return m
}

// edges counts membership edges, for the per-object peers' refresh cost.
func (s scale) edges() int {
	total := 0
	for i := 0; i < s.groups; i++ {
		total += len(s.members(i))
	}
	return total
}
