//go:build tools

// Package tools pins what the project builds from this module, so `go build` here produces the exact
// versions go.sum checksums: the Temporal CLI (the dev server), and for `clientsync server --postgres`
// the server, its SQL schema tool and Temporal Web.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
	_ "github.com/temporalio/ui-server/v2/cmd/server"
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
