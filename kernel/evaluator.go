package kernel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// The supervised engine and its evaluator process talk in JSON lines:
// requests one way, events the other. A cell's output events come as the
// cell runs and its "done" event last, so the order of a cell's output is
// the order it was produced in.

type evalRequest struct {
	Op       string      `json:"op"` // execute, replay, complete, inspect, is_complete, interrupt, input_reply
	Cell     int         `json:"cell,omitempty"`
	Code     string      `json:"code,omitempty"`
	Cursor   int         `json:"cursor,omitempty"`
	Detail   int         `json:"detail,omitempty"`
	Journal  []journaled `json:"journal,omitempty"`
	Value    string      `json:"value,omitempty"`
	InputErr string      `json:"input_err,omitempty"`
}

type journaled struct {
	Cell int    `json:"cell"`
	Code string `json:"code"`
}

type evalEvent struct {
	Kind string `json:"kind"` // ready, stream, display, clear, input, done

	Name     string `json:"name,omitempty"`
	Text     string `json:"text,omitempty"`
	Bundle   Bundle `json:"bundle,omitempty"`
	ID       string `json:"id,omitempty"`
	Update   bool   `json:"update,omitempty"`
	Wait     bool   `json:"wait,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
	Password bool   `json:"password,omitempty"`

	// done
	Error    *ExecError `json:"error,omitempty"`
	Matches  []string   `json:"matches,omitempty"`
	Start    int        `json:"start,omitempty"`
	End      int        `json:"end,omitempty"`
	Found    bool       `json:"found,omitempty"`
	Status   string     `json:"status,omitempty"`
	Indent   string     `json:"indent,omitempty"`
	Replayed int        `json:"replayed,omitempty"`
}

// ServeEvaluator runs eng for a supervising kernel (Supervised): requests
// come from in, events go to out. It returns when in ends, which is how
// the kernel stops it; a cell still running then is interrupted, and if it
// does not stop within InterruptGrace the process exits, so an evaluator
// never outlives its kernel.
func ServeEvaluator(eng Engine, in io.Reader, out io.Writer) error {
	ev := &evalWriter{enc: json.NewEncoder(out)}
	work := make(chan evalRequest)
	inputs := make(chan evalRequest, 1)
	var mu sync.Mutex
	var cancel context.CancelFunc
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 256<<20)
		for sc.Scan() {
			var r evalRequest
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				readErr <- fmt.Errorf("evaluator request: %w", err)
				return
			}
			switch r.Op {
			case "interrupt":
				mu.Lock()
				if cancel != nil {
					cancel()
				}
				mu.Unlock()
			case "input_reply":
				select {
				case inputs <- r:
				default:
				}
			default:
				work <- r
			}
		}
		mu.Lock()
		if cancel != nil {
			cancel()
		}
		mu.Unlock()
		readErr <- sc.Err()
		time.AfterFunc(InterruptGrace, func() { os.Exit(0) })
	}()
	ev.send(evalEvent{Kind: "ready"})
	for r := range work {
		switch r.Op {
		case "execute":
			ctx, c := context.WithCancel(context.Background())
			mu.Lock()
			cancel = c
			mu.Unlock()
			setCell(eng, r.Cell)
			b, err := eng.Execute(ctx, r.Code, &evalOutput{ev: ev, inputs: inputs})
			mu.Lock()
			cancel = nil
			mu.Unlock()
			c()
			ev.send(evalEvent{Kind: "done", Bundle: b, Error: asExecError(err)})
		case "replay":
			n := 0
			for _, j := range r.Journal {
				setCell(eng, j.Cell)
				if _, err := eng.Execute(context.Background(), j.Code, discardOutput{}); err == nil {
					n++
				}
			}
			ev.send(evalEvent{Kind: "done", Replayed: n})
		case "complete":
			m, s, e := eng.Complete(r.Code, r.Cursor)
			ev.send(evalEvent{Kind: "done", Matches: m, Start: s, End: e})
		case "inspect":
			b, found := eng.Inspect(r.Code, r.Cursor, r.Detail)
			ev.send(evalEvent{Kind: "done", Bundle: b, Found: found})
		case "is_complete":
			s, i := eng.IsComplete(r.Code)
			ev.send(evalEvent{Kind: "done", Status: s, Indent: i})
		default:
			ev.send(evalEvent{Kind: "done", Error: &ExecError{Name: "Error", Value: "evaluator: unknown request " + r.Op}})
		}
		if ev.err != nil {
			return ev.err
		}
	}
	return <-readErr
}

// setCell makes the next cell the engine runs carry number n in its
// errors, so a restored session numbers cells as the first one did.
func setCell(eng Engine, n int) {
	if se, ok := eng.(*ScriptsEngine); ok && n > 0 {
		se.cell = n - 1
	}
}

func asExecError(err error) *ExecError {
	if err == nil {
		return nil
	}
	var ee *ExecError
	if errors.As(err, &ee) {
		return ee
	}
	return &ExecError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
}

type evalWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func (w *evalWriter) send(e evalEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = w.enc.Encode(e)
	}
}

// evalOutput is a cell's Output inside the evaluator: events to the
// kernel, whose own Output decides whether input may be asked for.
type evalOutput struct {
	ev     *evalWriter
	inputs chan evalRequest
}

func (o *evalOutput) Stream(name, text string) {
	o.ev.send(evalEvent{Kind: "stream", Name: name, Text: text})
}

func (o *evalOutput) Display(b Bundle, id string, update bool) {
	o.ev.send(evalEvent{Kind: "display", Bundle: b, ID: id, Update: update})
}

func (o *evalOutput) Clear(wait bool) { o.ev.send(evalEvent{Kind: "clear", Wait: wait}) }

func (o *evalOutput) Input(prompt string, password bool) (string, error) {
	o.ev.send(evalEvent{Kind: "input", Prompt: prompt, Password: password})
	r, ok := <-o.inputs
	if !ok {
		return "", errors.New("kernel gone")
	}
	if r.InputErr != "" {
		return "", errors.New(r.InputErr)
	}
	return r.Value, nil
}

// discardOutput is where a replayed cell's output goes: it was seen the
// first time.
type discardOutput struct{}

func (discardOutput) Stream(string, string)        {}
func (discardOutput) Display(Bundle, string, bool) {}
func (discardOutput) Clear(bool)                   {}
func (discardOutput) Input(string, bool) (string, error) {
	return "", errors.New("no input while restoring the session")
}
