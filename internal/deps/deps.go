//go:build tools

// Package deps pins modules the next steps build on until code imports
// them; it is never built. (NATS is imported by sweep/natsq now.)
package deps
