//go:build tools

// Package deps pins modules the next steps build on (ZeroMQ for the Jupyter
// kernel, NATS for sweeps, fastjson for venue decoders) until code imports
// them; it is never built.
package deps

import (
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
)
