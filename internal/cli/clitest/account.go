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

// Package clitest fills a fake Databricks account with an existing
// population of principals, for the CLI's tests and the export benchmark.
package clitest

import (
	"fmt"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// Size is how many principals SeedAccount makes.
type Size struct {
	Users, ServicePrincipals, Groups int
	// MembersPerGroup is each group's direct member count (users, two
	// service principals and, for every NestEvery-th group, two earlier groups).
	MembersPerGroup int
	NestEvery       int
}

// Small is the make-test size; Full the benchmark's (design §5).
var (
	Small = Size{Users: 50, ServicePrincipals: 5, Groups: 10, MembersPerGroup: 8, NestEvery: 3}
	Full  = Size{Users: 10000, ServicePrincipals: 200, Groups: 1000, MembersPerGroup: 50, NestEvery: 10}
)

// Seeded is what SeedAccount made.
type Seeded struct {
	UserIDs, SPIDs, GroupIDs []string
	// BuiltIn are the ids of the built-in groups ("admins", "account users").
	BuiltIn []string
}

// SeedAccount stores the population in fake as if it had existed for long
// (visible at once, no request logged): users with display names, some with
// given and family names, external ids, deactivated or account admins;
// service principals likewise; groups whose members are given by SCIM id,
// every NestEvery-th nesting the two before it, some account admins; and the
// built-in groups "admins" and "account users".
func SeedAccount(fake *scimfake.Server, s Size) Seeded {
	var out Seeded
	admin := []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}
	for i := range s.Users {
		u := scim.User{UserName: fmt.Sprintf("user-%05d@example.com", i), DisplayName: fmt.Sprintf("User %d", i)}
		if i%3 == 0 {
			u.Name = &scim.Name{GivenName: fmt.Sprintf("Given%d", i), FamilyName: "Family"}
		}
		if i%7 == 0 {
			u.ExternalID = fmt.Sprintf("ext-user-%d", i)
		}
		if i%17 == 5 {
			u.Active = scim.Bool(false)
		}
		if i%101 == 1 {
			u.Roles = admin
		}
		out.UserIDs = append(out.UserIDs, fake.SeedUser(u).ID)
	}
	for i := range s.ServicePrincipals {
		sp := scim.ServicePrincipal{DisplayName: fmt.Sprintf("sp-%04d", i)}
		if i%4 == 3 {
			sp.Active = scim.Bool(false)
		}
		if i%5 == 1 {
			sp.Roles = admin
			sp.ExternalID = fmt.Sprintf("ext-sp-%d", i)
		}
		out.SPIDs = append(out.SPIDs, fake.SeedServicePrincipal(sp).ID)
	}
	for i := range s.Groups {
		g := scim.Group{DisplayName: fmt.Sprintf("group-%04d", i)}
		if i%9 == 4 {
			g.ExternalID = fmt.Sprintf("ext-group-%d", i)
		}
		if i%25 == 2 {
			g.Roles = admin
		}
		n := s.MembersPerGroup
		if s.NestEvery > 0 && i%s.NestEvery == 0 && i >= 2 {
			g.Members = append(g.Members, scim.ComplexValue{Value: out.GroupIDs[i-1]}, scim.ComplexValue{Value: out.GroupIDs[i-2]})
			n -= 2
		}
		if len(out.SPIDs) > 0 {
			for k := range 2 {
				g.Members = append(g.Members, scim.ComplexValue{Value: out.SPIDs[(i*2+k)%len(out.SPIDs)]})
			}
			n -= 2
		}
		for k := range max(0, n) {
			g.Members = append(g.Members, scim.ComplexValue{Value: out.UserIDs[(i*n+k*7919)%len(out.UserIDs)]})
		}
		out.GroupIDs = append(out.GroupIDs, fake.SeedGroup(g).ID)
	}
	admins := scim.Group{DisplayName: "admins"}
	for _, id := range out.UserIDs[:min(3, len(out.UserIDs))] {
		admins.Members = append(admins.Members, scim.ComplexValue{Value: id})
	}
	out.BuiltIn = append(out.BuiltIn, fake.SeedGroup(admins).ID, fake.SeedGroup(scim.Group{DisplayName: "account users"}).ID)
	return out
}
