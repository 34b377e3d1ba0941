// Package natsq carries a sweep's jobs to workers through NATS JetStream:
// jobs go to a work-queue stream that workers pull from with explicit
// acks (a job whose worker dies is redelivered after the ack deadline),
// results go to a results stream (a redelivered job's stored once, and
// read once per job ID however often it ran), and the large
// inputs (a script, a market's bars) travel through JetStream's object
// store under their content hash, fetched once per worker.
//
// Nothing a sweep leaves piles up: its jobs and results carry a time to
// live (Job.Keep), long enough for a rerun to collect what workers
// finished, a coordinator that stops early withdraws its queued jobs, and
// the object store drops a blob BlobTTL after it was last stored (a sweep
// stores its blobs again when they would go before its jobs, see PutBlob).
package natsq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream resources a sweep uses.
const (
	JobsStream = "WB_SWEEP_JOBS"
	// JobsSubject is followed by a sweep's ID: a sweep's queued jobs are
	// withdrawn by subject.
	JobsSubject   = "wb.sweep.jobs"
	ResultsStream = "WB_SWEEP_RESULTS"
	resultsPrefix = "wb.sweep.results."
	Bucket        = "WB_SWEEP_BLOBS"
	Consumer      = "wb-sweep-workers"
)

// BlobTTL is how long the object store keeps a blob after it was last
// stored, unless a sweep kept longer raised it (see PutBlob).
const BlobTTL = 7 * 24 * time.Hour

// blobMargin is how much longer than its jobs a sweep wants its blobs:
// publishing takes time, and the server's clock is not the coordinator's.
const blobMargin = time.Hour

// jobHeader carries a result's job ID.
const jobHeader = "Wb-Job"

// Job is one unit of work: Payload is for the worker's handler.
type Job struct {
	ID string `json:"id"`
	// Sweep is the ID of the job's sweep, one subject token (no dots,
	// spaces or wildcards).
	Sweep   string          `json:"sweep"`
	Payload json.RawMessage `json:"payload"`
	// Keep is how long the queue keeps the job while it waits for a
	// worker, and then its result; 0 keeps them until deleted.
	Keep time.Duration `json:"keep,omitempty"`
}

// Queue is a connection to the JetStream resources of sweeps.
type Queue struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	obs jetstream.ObjectStore
	// blobMargin is blobMargin, shorter in tests.
	blobMargin time.Duration
	// AckWait is how long a worker holds a job before JetStream hands it
	// to another; it is set when the queue creates the consumer.
	ackWait time.Duration
}

// Connect opens url (options pass credentials and TLS through to the
// client) and makes sure the streams, the consumer and the object store
// exist. ackWait is the jobs' ack deadline.
func Connect(ctx context.Context, url string, ackWait time.Duration, opts ...nats.Option) (*Queue, error) {
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	q, err := setup(ctx, nc, ackWait, BlobTTL, blobMargin)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	return q, nil
}

func setup(ctx context.Context, nc *nats.Conn, ackWait, blobTTL, margin time.Duration) (*Queue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: JobsStream, Subjects: []string{JobsSubject + ".>"},
		Retention: jetstream.WorkQueuePolicy, Duplicates: time.Hour, AllowMsgTTL: true}); err != nil {
		return nil, fmt.Errorf("jobs stream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: ResultsStream, Subjects: []string{resultsPrefix + ">"},
		Duplicates: time.Hour, AllowMsgTTL: true}); err != nil {
		return nil, fmt.Errorf("results stream: %w", err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{Durable: Consumer,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: -1}); err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	q := &Queue{nc: nc, js: js, ackWait: ackWait, blobMargin: margin}
	if _, err := q.blobsFor(ctx, blobTTL); err != nil {
		return nil, err
	}
	return q, nil
}

// blobsFor opens the object store, its time to live raised to at least
// ttl, and returns that time to live. It is never lowered: another sweep
// may be counting on it. (A bucket an earlier workbench made keeps blobs
// forever: it gets one.)
func (q *Queue) blobsFor(ctx context.Context, ttl time.Duration) (time.Duration, error) {
	obs, err := q.js.ObjectStore(ctx, Bucket)
	if err == nil {
		st, err := obs.Status(ctx)
		if err != nil {
			return 0, fmt.Errorf("object store: %w", err)
		}
		if have := st.TTL(); have != 0 && have >= ttl {
			q.obs = obs
			return have, nil
		}
	} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return 0, fmt.Errorf("object store: %w", err)
	}
	if q.obs, err = q.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: Bucket, TTL: ttl}); err != nil {
		return 0, fmt.Errorf("object store: %w", err)
	}
	return ttl, nil
}

// Close closes the connection.
func (q *Queue) Close() { q.nc.Close() }

// PutBlob stores data under its content hash and returns the hash. The
// blob is to stay for keep, as long as the jobs that read it: a blob stored
// earlier that would go sooner is stored again, and the store's time to
// live is raised to keep if it is shorter.
func (q *Queue) PutBlob(ctx context.Context, data []byte, keep time.Duration) (string, error) {
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	keep += q.blobMargin
	ttl, err := q.blobsFor(ctx, keep)
	if err != nil {
		return "", err
	}
	if info, err := q.obs.GetInfo(ctx, name); err == nil && time.Until(info.ModTime.Add(ttl)) >= keep {
		return name, nil
	}
	if _, err := q.obs.PutBytes(ctx, name, data); err != nil {
		return "", fmt.Errorf("object store put %s: %w", name, err)
	}
	return name, nil
}

// Blob fetches a blob by hash and checks it.
func (q *Queue) Blob(ctx context.Context, name string) ([]byte, error) {
	data, err := q.obs.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("object store get %s: %w", name, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != name {
		return nil, fmt.Errorf("object store get %s: content hash mismatch", name)
	}
	return data, nil
}

// Publish sends jobs to the work queue, each with its time to live. A
// sweep's jobs still queued from an earlier call (its coordinator died
// before it could withdraw them) are withdrawn first, so a job is queued
// once; a job given twice in one call is queued once too.
func (q *Queue) Publish(ctx context.Context, jobs []Job) error {
	withdrawn := map[string]bool{}
	for _, j := range jobs {
		if !withdrawn[j.Sweep] {
			if err := q.Withdraw(ctx, j.Sweep); err != nil {
				return err
			}
			withdrawn[j.Sweep] = true
		}
	}
	// The stream remembers message IDs for its duplicate window, withdrawn
	// ones too: a job published again after a withdrawal must not look
	// like a duplicate of the earlier one.
	call := strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			return err
		}
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(j.ID + "@" + call)}
		if j.Keep > 0 {
			opts = append(opts, jetstream.WithMsgTTL(j.Keep))
		}
		if _, err := q.js.Publish(ctx, JobsSubject+"."+j.Sweep, b, opts...); err != nil {
			return fmt.Errorf("publish job %s: %w", j.ID, err)
		}
	}
	return nil
}

// Withdraw deletes the jobs of sweep from the work queue: those no worker
// has taken, and those running, whose workers still store their results.
func (q *Queue) Withdraw(ctx context.Context, sweep string) error {
	st, err := q.js.Stream(ctx, JobsStream)
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject(JobsSubject+"."+sweep))
	}
	if err != nil {
		return fmt.Errorf("withdrawing the jobs of sweep %s: %w", sweep, err)
	}
	return nil
}

// Results reads the results of sweep from the start of the results stream,
// calling got once per job ID (a job run twice is counted once) until
// every ID in want has come, or ctx is done.
func (q *Queue) Results(ctx context.Context, sweep string, want map[string]bool, got func(id string, data []byte) error) error {
	// The consumer is deleted when collecting ends, or else dropped by the
	// server soon after it is last read from (the process died), not five
	// minutes after (the client's default): a process collecting sweep
	// after sweep would pile them up.
	cons, err := q.js.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{resultsPrefix + sweep}, InactiveThreshold: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer func() {
		it.Stop()
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := q.js.DeleteConsumer(dctx, ResultsStream, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				slog.Warn("sweep: deleting the results consumer", "consumer", info.Name, "err", err)
			}
		}
	}()
	go func() { <-ctx.Done(); it.Stop() }()
	seen := map[string]bool{}
	left := len(want)
	for left > 0 {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("results: %w", err)
		}
		id := m.Headers().Get(jobHeader)
		if id == "" {
			// Stored by an earlier worker, under the job ID itself.
			id = m.Headers().Get(jetstream.MsgIDHeader)
		}
		if seen[id] || !want[id] {
			continue
		}
		seen[id] = true
		left--
		if err := got(id, m.Data()); err != nil {
			return err
		}
	}
	return nil
}

// Handler runs a job and returns its result.
type Handler func(ctx context.Context, j Job) ([]byte, error)

// Work pulls jobs with concurrency handlers at once until ctx is done.
// A job is acked only after its result is stored in the results stream,
// so a worker that dies leaves its jobs to be redelivered; a handler error
// naks the job for a later retry.
//
// When ctx is done Work stops pulling and hands back at once the jobs it
// pulled but has not started; running jobs get grace to finish (their
// handlers' context stays live until then). Jobs still running after it
// are handed back too, their handlers' context cancelled, and Work returns
// without waiting for them: another worker runs them again, and a result
// stored twice is counted once.
func (q *Queue) Work(ctx context.Context, concurrency int, grace time.Duration, handle Handler) error {
	cons, err := q.js.Consumer(ctx, JobsStream, Consumer)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	// A running job is reported in progress three times within the ack
	// deadline (a report may be late on a busy machine): the consumer's,
	// which whoever connected last set and may be shorter than this
	// queue's; and every 5 s at least, so that a deadline lowered while the
	// worker runs (to 15 s or more) still finds its jobs kept.
	every := q.ackWait
	if w := cons.CachedInfo().Config.AckWait; w > 0 {
		every = min(every, w)
	}
	every = min(every/3, 5*time.Second)
	it, err := cons.Messages(jetstream.PullMaxMessages(concurrency))
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			// Buffered jobs still come out of Next, to be handed back.
			it.Drain()
		case <-stopped:
		}
	}()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		running = map[*job]bool{}
	)
	sem := make(chan struct{}, concurrency)
	var pullErr error
	for {
		held := false
		select {
		case sem <- struct{}{}:
			held = true
		case <-ctx.Done():
		}
		m, err := it.Next()
		if err != nil {
			if held {
				<-sem
			}
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				// The running jobs still finish or go back, as on a stop.
				pullErr = fmt.Errorf("worker: %w", err)
			}
			break
		}
		if ctx.Err() != nil || !held {
			if held {
				<-sem
			}
			if err := m.Nak(); err != nil {
				slog.Warn("sweep worker: handing back an unstarted job", "err", err)
			}
			continue
		}
		jb := &job{m: m}
		mu.Lock()
		running[jb] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer func() {
				mu.Lock()
				delete(running, jb)
				mu.Unlock()
				<-sem
				wg.Done()
			}()
			q.handle(jobCtx, jb, handle, every)
		}()
	}
	it.Stop()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	mu.Lock()
	n := len(running)
	mu.Unlock()
	if n > 0 {
		slog.Info("sweep worker: stopping, waiting for the running jobs", "jobs", n, "grace", grace)
	}
	select {
	case <-finished:
		return pullErr
	case <-time.After(grace):
	}
	cancelJobs()
	mu.Lock()
	defer mu.Unlock()
	for jb := range running {
		if jb.settle() {
			slog.Warn("sweep worker: a job outlived the grace period, handed back", "grace", grace)
			if err := jb.m.Nak(); err != nil {
				slog.Warn("sweep worker: handing back a job", "err", err)
			}
		}
	}
	return pullErr
}

// job is a pulled message, settled (acked or handed back) once.
type job struct {
	m       jetstream.Msg
	settled atomic.Bool
}

// settle reports whether the caller is the one to ack or nak the job.
func (j *job) settle() bool { return j.settled.CompareAndSwap(false, true) }

// handle runs a job, reporting it in progress every given interval.
func (q *Queue) handle(ctx context.Context, jb *job, handle Handler, every time.Duration) {
	m := jb.m
	var j Job
	if err := json.Unmarshal(m.Data(), &j); err != nil {
		slog.Error("sweep worker: a malformed job, dropped", "err", err)
		if jb.settle() {
			m.Term()
		}
		return
	}
	slog.Debug("sweep worker: job", "id", j.ID)
	// Keep the job while it runs longer than the ack deadline.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				m.InProgress()
			case <-stop:
				return
			}
		}
	}()
	out, err := handle(ctx, j)
	if err == nil {
		// The result's message ID is its job message's: a job run twice
		// (redelivered) stores one result, and a job published again (a
		// rerun after its result's time to live) one more, which the
		// stream's duplicate window would otherwise drop.
		id := m.Headers().Get(jetstream.MsgIDHeader)
		if id == "" {
			id = j.ID
		}
		res := &nats.Msg{Subject: resultsPrefix + j.Sweep, Data: out, Header: nats.Header{jobHeader: []string{j.ID}}}
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(id)}
		if j.Keep > 0 {
			opts = append(opts, jetstream.WithMsgTTL(j.Keep))
		}
		_, err = q.js.PublishMsg(ctx, res, opts...)
		if err != nil {
			err = fmt.Errorf("storing the result: %w", err)
		}
	}
	if !jb.settle() {
		return // handed back when the grace period ran out
	}
	switch {
	case err != nil && ctx.Err() != nil:
		slog.Info("sweep worker: job interrupted, handed back", "job", j.ID)
		m.Nak()
	case err != nil:
		slog.Error("sweep worker: job failed, retried later", "job", j.ID, "err", err)
		m.NakWithDelay(time.Second)
	default:
		if err := m.DoubleAck(ctx); err != nil {
			slog.Warn("sweep worker: ack", "job", j.ID, "err", err)
		}
	}
}
