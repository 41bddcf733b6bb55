//go:build tools

// Package tools pins the Temporal CLI that clientsync uses for operator commands (`temporal workflow
// signal`, `temporal worker deployment …`). v1.5.1 is the newest release the module proxy can build: later
// ones replace a module of their own with a folder. It talks to the 1.32 server that temporal/server pins.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
)
