//go:build tools

// Package tools pins what clientsync runs as its Temporal server, on SQLite (`clientsync server`) and on
// PostgreSQL (`clientsync server --postgres`): the server, its SQL schema tool and Temporal Web.
package tools

import (
	_ "github.com/temporalio/ui-server/v2/cmd/server"
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
