// Package chromium drives the real headless Chromium at /usr/bin/chromium
// for the tests and benchmarks of the live chart window.
package chromium

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Path is where the tests expect Chromium.
const Path = "/usr/bin/chromium"

// Context starts a headless Chromium for the test, closed when it ends, and
// returns a chromedp context with a 90 s budget. Without Chromium the test
// is skipped, or fails under CI=true.
func Context(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium missing at %s", Path)
		}
		t.Skipf("chromium missing at %s (apt-get install -y chromium)", Path)
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(Path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 1200))
	t.Cleanup(cancel)
	// This cdproto predates some events of the installed Chromium; their
	// decoding errors are noise.
	quiet := func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithErrorf(quiet))
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// Thrown records the exceptions the pages of ctx throw from now on; the
// function it returns lists them so far.
func Thrown(ctx context.Context) func() []string {
	var mu sync.Mutex
	var thrown []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			thrown = append(thrown, e.ExceptionDetails.Error())
			mu.Unlock()
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), thrown...)
	}
}
