//go:build tools

// Package tools pins the Temporal CLI (the dev server) as a build dependency,
// so `go build` here produces the exact version go.sum checksums.
package tools

import _ "github.com/temporalio/cli/cmd/temporal"
