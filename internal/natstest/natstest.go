// Package natstest starts a real nats-server with JetStream inside a
// process, on a free loopback port, for the tests of the NATS sweep queue
// and of `workbench worker`, and for the sweep benchmark.
package natstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Serve runs a JetStream-enabled nats-server on 127.0.0.1 that keeps its
// streams in dir; the caller shuts it down.
func Serve(dir string) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true})
	if err != nil {
		return nil, fmt.Errorf("nats-server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats-server: not ready after 10s")
	}
	return ns, nil
}

// Start runs Serve for a test, stops the server when the test ends, and
// returns its client URL.
func Start(t testing.TB) string {
	t.Helper()
	ns, err := Serve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// JetStream is a JetStream client of its own on the server at url, closed
// when the test ends.
func JetStream(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	js, close := connect(t, url)
	t.Cleanup(close)
	return js
}

// connect is a JetStream client on the server at url and its closing.
func connect(t testing.TB, url string) (jetstream.JetStream, func()) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	return js, nc.Close
}

// Count returns how many messages of subject the stream on the server at
// url holds, read with a client of its own.
func Count(t testing.TB, url, stream, subject string) int {
	t.Helper()
	// Closed at once: a test may poll it.
	js, close := connect(t, url)
	defer close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n
}
