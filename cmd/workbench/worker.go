package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"workbench/frames"
	"workbench/paper"
	"workbench/scripts"
	"workbench/sweep"
	"workbench/sweep/natsq"
)

func init() {
	register(&command{
		name:  "worker",
		usage: "worker --nats URL [--concurrency N] [--keep-series N] [--grace D] [--nats-creds FILE] [--nats-ca FILE] [--nats-cert FILE --nats-key FILE]",
		summary: "a sweep worker: pull backtest jobs from the NATS JetStream work queue of workbench sweep --nats, " +
			"run them and store their results; a job is acked once its result is stored, so a worker may die at any time. " +
			"On SIGINT or SIGTERM it stops pulling, hands back the jobs it has not started, lets running ones finish " +
			"for --grace (then hands them back too) and exits 0",
		run: runWorker,
	})
}

// natsFlags are the connection flags sweep --nats and worker share.
type natsFlags struct {
	url, creds, ca, cert, key string
	ackWait                   time.Duration
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.url, "nats", "", "NATS server `URL` (nats://host:4222)")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials `FILE`")
	fs.StringVar(&n.ca, "nats-ca", "", "CA certificate `FILE` for the NATS server's TLS")
	fs.StringVar(&n.cert, "nats-cert", "", "client certificate `FILE` for NATS TLS")
	fs.StringVar(&n.key, "nats-key", "", "client key `FILE` for NATS TLS")
	fs.DurationVar(&n.ackWait, "ack-wait", 30*time.Second, "how long a job may go unacknowledged before another worker gets it")
}

func (n *natsFlags) connect(ctx context.Context) (*natsq.Queue, error) {
	opts := []nats.Option{nats.Name("workbench")}
	if n.creds != "" {
		opts = append(opts, nats.UserCredentials(n.creds))
	}
	if n.ca != "" {
		opts = append(opts, nats.RootCAs(n.ca))
	}
	if n.cert != "" || n.key != "" {
		if n.cert == "" || n.key == "" {
			return nil, usagef("--nats-cert and --nats-key go together")
		}
		opts = append(opts, nats.ClientCert(n.cert, n.key))
	}
	if n.ackWait <= 0 {
		return nil, usagef("--ack-wait %v: want a positive duration", n.ackWait)
	}
	return natsq.Connect(ctx, n.url, n.ackWait, opts...)
}

// jobSpec is what a worker needs to run one job of a sweep.
type jobSpec struct {
	Builtin string `json:"builtin,omitempty"`
	Script  string `json:"script,omitempty"` // blob hash of the source
	// ScriptName is the script's path on the sweep's side, for errors.
	ScriptName string   `json:"script_name,omitempty"`
	FQME       string   `json:"fqme"`
	Series     string   `json:"series"` // blob hash of the bars as parquet
	Period     int64    `json:"period"`
	Flags      []string `json:"flags"` // the flags that shape the simulated exchange
	Settings   []string `json:"settings"`
	Blocks     int      `json:"blocks"`
	Describe   string   `json:"describe"`
}

// publishSweep puts the script and the series in the object store, queues
// the jobs not done, and stores each result as it comes. The jobs and their
// results are kept for keep; when it returns it withdraws the sweep's jobs
// still queued (a rerun queues them again and collects the results its
// workers stored meanwhile).
func publishSweep(ctx context.Context, q *natsq.Queue, cfg *sweep.Config, key string, spec jobSpec, script []byte,
	keep time.Duration, done map[int]bool, store func(sweep.Row) error) error {
	if script != nil {
		h, err := q.PutBlob(ctx, script, keep)
		if err != nil {
			return err
		}
		spec.Script = h
	}
	series := make([]string, len(cfg.Series))
	for i, s := range cfg.Series {
		var buf bytes.Buffer
		if err := frames.WriteParquet(&buf, s.Bars); err != nil {
			return err
		}
		h, err := q.PutBlob(ctx, buf.Bytes(), keep)
		if err != nil {
			return err
		}
		series[i] = h
	}
	var jobs []natsq.Job
	want := map[string]bool{}
	index := map[string]int{}
	for i := range cfg.Jobs() {
		if done[i] {
			continue
		}
		combo, si := cfg.Job(i)
		js := spec
		js.FQME, js.Series, js.Period = cfg.Series[si].Market.FQME(), series[si], cfg.Series[si].Bars.Period
		js.Describe = cfg.Describe(i)
		js.Settings = nil
		for _, s := range cfg.Grid.At(combo) {
			js.Settings = append(js.Settings, s.Name+"="+paper.FormatParam(s.Value))
		}
		payload, err := json.Marshal(js)
		if err != nil {
			return err
		}
		id := key[:32] + "-" + strconv.Itoa(i)
		jobs = append(jobs, natsq.Job{ID: id, Sweep: key, Payload: payload, Keep: keep})
		want[id], index[id] = true, i
	}
	// Whatever ends the wait, no job of the sweep is wanted any more: one
	// stopped early (Ctrl-C) is queued again by its rerun, and one done may
	// have a job twice in the queue (queued again on a rerun while its
	// result was on its way).
	defer func() {
		// ctx may be done (Ctrl-C): the withdrawal gets a moment of its own.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if werr := q.Withdraw(wctx, key); werr != nil {
			slog.Warn("sweep: the queued jobs stay queued until --nats-keep passes", "err", werr)
		}
	}()
	if err := q.Publish(ctx, jobs); err != nil {
		return err
	}
	// The queue drops the jobs no worker took within keep: waiting longer
	// would wait for nothing.
	rctx, cancel := context.WithTimeout(ctx, keep)
	defer cancel()
	err := q.Results(rctx, key, want, func(id string, data []byte) error {
		r, err := sweep.DecodeRow(data)
		if err != nil {
			return fmt.Errorf("result %s: %w", id, err)
		}
		r.Job = index[id]
		return store(r)
	})
	if err != nil && rctx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("--nats-keep %v passed before every job ran (the queue drops the jobs no worker took by then); "+
			"the finished rows are kept: rerun the same command to queue the rest", keep)
	}
	return err
}

func runWorker(ctx context.Context, e *env, args []string) error {
	fs := e.flags(commands["worker"])
	var nf natsFlags
	nf.register(fs)
	conc := fs.Int("concurrency", 1, "jobs run at once")
	keep := fs.Int("keep-series", 8, "series kept in memory, the most recently used: a sweep's jobs fetch each of its series once")
	grace := fs.Duration("grace", 30*time.Second, "on SIGINT/SIGTERM, how long running jobs may take to finish before they are handed back")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *keep < 1 {
		return usagef("worker --keep-series %d: want ≥ 1", *keep)
	}
	if *grace < 0 {
		return usagef("worker --grace %v: want ≥ 0", *grace)
	}
	if nf.url == "" {
		return usagef("worker: --nats URL is required")
	}
	if *conc < 1 {
		return usagef("worker --concurrency %d: want ≥ 1", *conc)
	}
	q, err := nf.connect(ctx)
	if err != nil {
		return err
	}
	defer q.Close()
	dir, err := os.MkdirTemp("", "workbench-worker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w := &worker{q: q, e: e, dir: dir, params: map[string][]paper.Param{}}
	w.series = &sweep.SeriesCache{Keep: *keep, Load: w.fetchSeries}
	defer w.series.Close()
	// A fleet is stopped with SIGTERM (Kubernetes, systemd) as often as
	// with Ctrl-C.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(e.stderr, "worker: pulling jobs from %s with %d at once\n", nf.url, *conc)
	if err := q.Work(ctx, *conc, *grace, w.handle); err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "worker: stopped")
	return nil
}

// worker runs jobs, fetching each script once and each series once while
// it keeps it.
type worker struct {
	q      *natsq.Queue
	e      *env
	dir    string
	series *sweep.SeriesCache
	mu     sync.Mutex
	params map[string][]paper.Param
}

// fetchSeries reads a series blob from the object store.
func (w *worker) fetchSeries(ctx context.Context, hash string) (*frames.OHLCV, error) {
	data, err := w.q.Blob(ctx, hash)
	if err != nil {
		return nil, err
	}
	b, err := frames.ReadParquet(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("series %s: %w", hash, err)
	}
	slog.Debug("sweep worker: series fetched", "hash", hash, "bars", b.Len())
	return b, nil
}

// script returns the path of a script blob and its parameters.
func (w *worker) script(ctx context.Context, hash string) (string, []paper.Param, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	path := filepath.Join(w.dir, hash+".go")
	if ps, ok := w.params[hash]; ok {
		return path, ps, nil
	}
	data, err := w.q.Blob(ctx, hash)
	if err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", nil, err
	}
	ps, err := scripts.StrategyParams(ctx, path, w.options())
	if err != nil {
		return "", nil, err
	}
	w.params[hash] = ps
	return path, ps, nil
}

func (w *worker) options() scripts.Options {
	return scripts.Options{Stdin: strings.NewReader(""), Stdout: w.e.stderr, Stderr: w.e.stderr}
}

func (w *worker) handle(ctx context.Context, j natsq.Job) ([]byte, error) {
	var spec jobSpec
	if err := json.Unmarshal(j.Payload, &spec); err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	fs := flag.NewFlagSet("job", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opts backtestOpts
	opts.register(fs)
	if err := fs.Parse(spec.Flags); err != nil {
		return nil, fmt.Errorf("job %s flags: %w", j.ID, err)
	}
	base, err := opts.config()
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	pair, err := opts.market(spec.FQME)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	series, done, err := w.series.Get(ctx, spec.Series, spec.Period)
	if err != nil {
		return nil, err
	}
	defer done()
	series.Market = pair
	row, err := w.run(ctx, spec, base, series)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		row = sweep.Row{Err: spec.Describe + ": " + err.Error()}
	}
	return sweep.EncodeRow(row)
}

func (w *worker) run(ctx context.Context, spec jobSpec, base paper.BacktestConfig, series paper.Series) (sweep.Row, error) {
	var strat paper.Strategy
	if spec.Script != "" {
		path, params, err := w.script(ctx, spec.Script)
		if err != nil {
			return sweep.Row{}, err
		}
		set, err := paper.ParseSettings(params, spec.Settings)
		if err != nil {
			return sweep.Row{}, err
		}
		if strat, err = scripts.LoadStrategyWith(ctx, path, w.options(), set); err != nil {
			return sweep.Row{}, err
		}
		strat = sweep.Guard(spec.ScriptName, strat)
	} else {
		params, err := paper.BuiltinParams(spec.Builtin)
		if err != nil {
			return sweep.Row{}, err
		}
		set, err := paper.ParseSettings(params, spec.Settings)
		if err != nil {
			return sweep.Row{}, err
		}
		if strat, err = paper.NewBuiltin(spec.Builtin, set); err != nil {
			return sweep.Row{}, err
		}
	}
	return sweep.Backtest(ctx, base, series, strat, spec.Blocks)
}
