package natsq

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"workbench/internal/natstest"
)

// testQueue connects to a server of its own, with a second's ack wait,
// for a minute at most.
func testQueue(t *testing.T) (context.Context, *Queue, string) {
	url := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	q, err := Connect(ctx, url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return ctx, q, url
}

// A job published twice is queued once; a job whose first handler fails
// is retried; every result is collected once; blobs come back by hash.
func TestQueue(t *testing.T) {
	ctx, q, _ := testQueue(t)
	h, err := q.PutBlob(ctx, []byte("bars"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if h2, _ := q.PutBlob(ctx, []byte("bars"), time.Hour); h2 != h {
		t.Fatalf("hashes %s %s", h, h2)
	}
	if b, err := q.Blob(ctx, h); err != nil || string(b) != "bars" {
		t.Fatalf("blob %q %v", b, err)
	}
	var jobs []Job
	want := map[string]bool{}
	for i := range 20 {
		id := fmt.Sprintf("s-%d", i)
		jobs = append(jobs, Job{ID: id, Sweep: "s", Payload: []byte(fmt.Sprint(i))})
		want[id] = true
	}
	if err := q.Publish(ctx, append(jobs, jobs[:5]...)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[string]int{}
	wctx, stop := context.WithCancel(ctx)
	go q.Work(wctx, 3, time.Second, func(_ context.Context, j Job) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		runs[j.ID]++
		if j.ID == "s-7" && runs[j.ID] == 1 {
			return nil, fmt.Errorf("a passing failure")
		}
		return append([]byte("r"), j.Payload...), nil
	})
	got := map[string]string{}
	err = q.Results(ctx, "s", want, func(id string, data []byte) error {
		if _, dup := got[id]; dup {
			t.Errorf("result %s twice", id)
		}
		got[id] = string(data)
		return nil
	})
	stop()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range 20 {
		id := fmt.Sprintf("s-%d", i)
		if got[id] != fmt.Sprintf("r%d", i) {
			t.Errorf("%s: result %q", id, got[id])
		}
		if n := runs[id]; n != 1 && !(id == "s-7" && n == 2) {
			t.Errorf("%s ran %d times", id, n)
		}
	}
}

// BenchmarkEmptyJobs measures the queue's own cost with jobs that do
// nothing, pulled by two workers of four handlers each: "throughput"
// publishes 1,000 jobs at once and collects their results (jobs/s; the
// issue asks ≥ 1,000/s), "roundtrip" sends one job at a time and waits for
// its result, so each sample is one job's whole overhead: publish, pull,
// run, store the result, ack, deliver the result (p50 and p99).
func BenchmarkEmptyJobs(b *testing.B) {
	url := natstest.Start(b)
	ctx := context.Background()
	q, err := Connect(ctx, url, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for range 2 {
		w, err := Connect(ctx, url, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		go w.Work(wctx, 4, time.Second, func(context.Context, Job) ([]byte, error) { return []byte("{}"), nil })
	}
	// Job IDs stay unique when -count calls the sub-benchmarks again: the
	// stream would drop a repeated ID as a duplicate.
	seq := 0
	b.Run("throughput", func(b *testing.B) {
		const n = 1000
		for b.Loop() {
			seq++
			sweep := fmt.Sprintf("b%d", seq)
			var jobs []Job
			want := map[string]bool{}
			for i := range n {
				id := fmt.Sprintf("%s-%d", sweep, i)
				jobs = append(jobs, Job{ID: id, Sweep: sweep, Payload: []byte("{}")})
				want[id] = true
			}
			if err := q.Publish(ctx, jobs); err != nil {
				b.Fatal(err)
			}
			if err := q.Results(ctx, sweep, want, func(string, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
	b.Run("roundtrip", func(b *testing.B) {
		// A plain subscription sees each result as the worker stores it,
		// without a consumer per job.
		results := make(chan *nats.Msg, 1)
		sub, err := q.nc.ChanSubscribe(resultsPrefix+"rt", results)
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Unsubscribe()
		var lat []time.Duration
		for b.Loop() {
			seq++
			id := fmt.Sprintf("rt-%d", seq)
			t0 := time.Now()
			if err := q.Publish(ctx, []Job{{ID: id, Sweep: "rt", Payload: []byte("{}")}}); err != nil {
				b.Fatal(err)
			}
			select {
			case m := <-results:
				if got := m.Header.Get(jobHeader); got != id {
					b.Fatalf("result of %s, want %s", got, id)
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("no result for %s", id)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
		b.ReportMetric(q(0.5), "p50-µs/job")
		b.ReportMetric(q(0.99), "p99-µs/job")
	})
}

// jobsOf makes n jobs of sweep, kept for keep.
func jobsOf(sweep string, n int, keep time.Duration) ([]Job, map[string]bool) {
	var jobs []Job
	want := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("%s-%d", sweep, i)
		jobs = append(jobs, Job{ID: id, Sweep: sweep, Payload: []byte(fmt.Sprint(i)), Keep: keep})
		want[id] = true
	}
	return jobs, want
}

// waitCount waits until the stream holds n messages of subject.
func waitCount(t *testing.T, url, stream, subject string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for natstest.Count(t, url, stream, subject) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: %d messages after 20s, want %d", stream, subject, natstest.Count(t, url, stream, subject), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A sweep's withdrawn jobs leave the queue, another sweep's stay, and the
// withdrawn ones published again are queued (not taken for duplicates),
// once however often they are published, and run. Jobs no worker takes and results go when their time to live
// is up; those of a sweep kept without limit stay. Collecting results
// leaves no consumer behind.
func TestQueueLeavesNothingBehind(t *testing.T) {
	ctx, q, url := testQueue(t)
	a, wantA := jobsOf("a", 5, 0)
	b, _ := jobsOf("b", 4, 0)
	if err := q.Publish(ctx, append(a, b...)); err != nil {
		t.Fatal(err)
	}
	if err := q.Withdraw(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if n, m := natstest.Count(t, url, JobsStream, JobsSubject+".a"), natstest.Count(t, url, JobsStream, JobsSubject+".b"); n != 0 || m != 4 {
		t.Fatalf("after withdrawing a: %d jobs of a, %d of b queued; want 0 and 4", n, m)
	}
	if err := q.Withdraw(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(ctx, a); err != nil {
		t.Fatal(err)
	}
	waitCount(t, url, JobsStream, JobsSubject+".a", 5)
	// A coordinator that died without withdrawing its jobs is rerun: its
	// leftovers are replaced, not doubled.
	if err := q.Publish(ctx, a); err != nil {
		t.Fatal(err)
	}
	if n := natstest.Count(t, url, JobsStream, JobsSubject+".a"); n != 5 {
		t.Fatalf("a published twice: %d jobs queued, want 5", n)
	}
	// c's jobs wait for no worker and expire.
	c, _ := jobsOf("c", 3, time.Second)
	if err := q.Publish(ctx, c); err != nil {
		t.Fatal(err)
	}
	waitCount(t, url, JobsStream, JobsSubject+".c", 0)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go q.Work(wctx, 2, time.Second, func(_ context.Context, j Job) ([]byte, error) { return j.Payload, nil })
	collect := func(sweep string, want map[string]bool) {
		t.Helper()
		n := 0
		if err := q.Results(ctx, sweep, want, func(string, []byte) error { n++; return nil }); err != nil || n != len(want) {
			t.Fatalf("sweep %s: %d results of %d (%v)", sweep, n, len(want), err)
		}
	}
	collect("a", wantA)
	d, wantD := jobsOf("d", 5, 2*time.Second)
	if err := q.Publish(ctx, d); err != nil {
		t.Fatal(err)
	}
	collect("d", wantD)
	waitCount(t, url, ResultsStream, resultsPrefix+"d", 0)
	// Published again (a rerun after the results went), d's jobs run and
	// their results are stored again.
	if err := q.Publish(ctx, d); err != nil {
		t.Fatal(err)
	}
	collect("d", wantD)
	if n := natstest.Count(t, url, ResultsStream, resultsPrefix+"a"); n != 5 {
		t.Fatalf("%d results of a sweep kept without limit, want 5", n)
	}
	// Collecting leaves no consumer on the server, cancelled too.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := q.Results(cctx, "e", map[string]bool{"e-0": true}, nil); err == nil {
		t.Fatal("collecting a result that never comes: no error when cancelled")
	}
	s, err := q.js.Stream(ctx, ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(ctx); err != nil || info.State.Consumers != 0 {
		t.Fatalf("after collecting: %v consumers left on the results stream (%v)", info.State.Consumers, err)
	}
}

// Streams an earlier workbench made (one jobs subject, no message TTLs)
// and its object store (no time to live) are brought up to date in place,
// and serve a sweep.
func TestConnectUpdatesEarlierStreams(t *testing.T) {
	url := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	js := natstest.JetStream(t, url)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: JobsStream, Subjects: []string{"wb.sweep.jobs"},
		Retention: jetstream.WorkQueuePolicy, Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: ResultsStream, Subjects: []string{resultsPrefix + ">"},
		Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Bucket}); err != nil {
		t.Fatal(err)
	}
	q, err := Connect(ctx, url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if st, err := q.obs.Status(ctx); err != nil || st.TTL() != BlobTTL {
		t.Fatalf("the earlier bucket, which kept blobs forever, keeps them %v now (%v), want %v", st.TTL(), err, BlobTTL)
	}
	jobs, want := jobsOf("s", 3, time.Minute)
	if err := q.Publish(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go q.Work(wctx, 1, time.Second, func(_ context.Context, j Job) ([]byte, error) { return j.Payload, nil })
	n := 0
	if err := q.Results(ctx, "s", want, func(string, []byte) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("%d results of 3 (%v)", n, err)
	}
}

// A blob goes BlobTTL after it was last stored; a sweep that uses it
// stores it again when it would go before the sweep's jobs, and a sweep
// kept longer than BlobTTL raises it (never lowers it).
func TestBlobsAgeOut(t *testing.T) {
	url := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const ttl = 3 * time.Second
	q, err := setup(ctx, nc, time.Second, ttl, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("bars")
	modTime := func(h string) time.Time {
		t.Helper()
		info, err := q.obs.GetInfo(ctx, h)
		if err != nil {
			t.Fatalf("blob %s: %v", h, err)
		}
		return info.ModTime
	}
	h, err := q.PutBlob(ctx, data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	first := modTime(h)
	if _, err := q.PutBlob(ctx, data, time.Second); err != nil || !modTime(h).Equal(first) {
		t.Fatalf("a blob that outlives the sweep was stored again (%v)", err)
	}
	time.Sleep(ttl - time.Second + 200*time.Millisecond)
	if _, err := q.PutBlob(ctx, data, time.Second); err != nil || !modTime(h).After(first) {
		t.Fatalf("a blob that would go before the sweep's jobs was not stored again (%v)", err)
	}
	// Past the first storing's time to live, the second keeps it.
	time.Sleep(time.Second)
	if _, err := q.Blob(ctx, h); err != nil {
		t.Fatalf("a blob stored again went with the first storing: %v", err)
	}
	// The server drops a blob's chunks and its description one by one: a
	// fetch between the two waits for chunks that never come, so each try
	// gets a second.
	gone := func() bool {
		bctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := q.Blob(bctx, h)
		return err != nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for !gone() {
		if time.Now().After(deadline) {
			t.Fatalf("a blob nothing stored again for %v is still there", ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A sweep kept for a minute raises the store's time to live; one kept
	// for a second does not lower it again.
	for _, keep := range []time.Duration{time.Minute, time.Second} {
		if _, err := q.PutBlob(ctx, data, keep); err != nil {
			t.Fatal(err)
		}
		if st, err := q.obs.Status(ctx); err != nil || st.TTL() != time.Minute {
			t.Fatalf("kept %v: the store keeps blobs %v (%v), want a minute", keep, st.TTL(), err)
		}
	}
	if _, err := q.Blob(ctx, h); err != nil {
		t.Fatalf("the blob stored again: %v", err)
	}
}

// A worker keeps a job that runs past the ack deadline by the consumer's
// deadline, not its own: another queue connected last with a shorter one,
// and the job, twice that long, still runs once.
func TestWorkerKeepsJobsByTheConsumersDeadline(t *testing.T) {
	url := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := Connect(ctx, url, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	q, err := Connect(ctx, url, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var runs atomic.Int32
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.Work(wctx, 2, time.Second, func(_ context.Context, j Job) ([]byte, error) {
		runs.Add(1)
		time.Sleep(4 * time.Second)
		return j.Payload, nil
	})
	jobs, want := jobsOf("slow", 1, time.Minute)
	if err := q.Publish(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	if err := q.Results(ctx, "slow", want, func(string, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a redelivered copy would have started by now
	if n := runs.Load(); n != 1 {
		t.Fatalf("the job ran %d times: it went back to the queue while it ran", n)
	}
}
