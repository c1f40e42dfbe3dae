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

// Package cli is kubectl-databricks, the operator's command-line tool: a
// kubectl plugin (`kubectl databricks …` once kubectl-databricks is on the
// PATH) that also runs on its own.
//
//	export            read an account and write a directory of resources ready for Git
//	import-terraform  convert a Terraform state into the same kind of directory
//	plan              say what the operator would do with resources against the account
//
// It reuses the operator's SCIM client (rate limits, Retry-After, host
// checks, token redaction), the inventory's lists, and the controllers' diff
// code (package diff). Tokens are read from a file or the environment, never
// from a flag, and never printed.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/cli/tfstate"
)

// ReadTerraformStateFile is import-terraform's reader: package tfstate on a
// state file (format version 4), each unmapped resource as "address: reason".
func ReadTerraformStateFile(path string) (manifest.Snapshot, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return manifest.Snapshot{}, nil, err
	}
	defer f.Close()
	res, err := tfstate.Read(f)
	if err != nil {
		return manifest.Snapshot{}, nil, err
	}
	unmapped := make([]string, 0, len(res.Unmapped))
	for _, u := range res.Unmapped {
		unmapped = append(unmapped, u.Address+": "+u.Reason)
	}
	return manifest.Snapshot{
		Users:             res.Users,
		ServicePrincipals: res.ServicePrincipals,
		Groups:            res.Groups,
		DeletionPolicies:  res.DeletionPolicies,
	}, unmapped, nil
}

func runImportTerraform(args []string, env Env) (int, error) {
	fs := flag.NewFlagSet("import-terraform", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var (
		account string
		l       layoutFlags
	)
	fs.StringVar(&account, "account", "", "the DatabricksAccount the resources name (spec.accountRef.name) (required)")
	l.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: kubectl databricks import-terraform --account NAME --namespace NS [flags] STATE DIR\n\nConverts the users, service principals and groups of a Terraform state (members and account_admin roles folded in) into resources with adoptionPolicy: IfExists, written to DIR like export.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if len(pos) != 2 {
		fs.Usage()
		return ExitError, errors.New("import-terraform takes a state file and an output directory")
	}
	opts, err := l.options(account, true)
	if err != nil {
		return ExitError, err
	}
	read := env.ReadTerraformState
	if read == nil {
		read = ReadTerraformStateFile
	}
	snap, unmapped, err := read(pos[0])
	if err != nil {
		return ExitError, fmt.Errorf("reading the Terraform state %s: %w", pos[0], err)
	}
	objs, notes, err := manifest.Build(snap, opts)
	if err != nil {
		return ExitError, err
	}
	header := fmt.Sprintf("Imported by kubectl-databricks from the Terraform state %s.\nadoptionPolicy: IfExists: applying takes the principals over; then remove them from Terraform (docs/migrating-from-terraform.md).", pos[0])
	if err := manifest.WriteDir(pos[1], objs, header); err != nil {
		return ExitError, err
	}
	printNotes(env.Stderr, notes, l.maxNotes)
	if len(unmapped) > 0 {
		fmt.Fprintf(env.Stderr, "%d Terraform resources have no resource here (keep them in Terraform):\n", len(unmapped))
		for _, u := range unmapped {
			fmt.Fprintln(env.Stderr, "  "+u)
		}
	}
	fmt.Fprintf(env.Stderr, "wrote %s to %s\n", describeObjects(objs), pos[1])
	return ExitOK, nil
}
