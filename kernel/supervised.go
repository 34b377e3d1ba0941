package kernel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"workbench/scripts"
)

// InterruptGrace is how long an interrupted cell may take to stop before
// Supervised ends its evaluator and restores the session instead.
const InterruptGrace = 5 * time.Second

// Supervised is an Engine that evaluates in a child process, the
// evaluator, which ServeEvaluator runs over the engine the kernel would
// otherwise run itself. A cell that ends the process by what no recover
// catches (a stack overflow, an allocation the machine cannot give,
// concurrent map writes, a panic in a time.AfterFunc callback: see the
// scripts package) then fails with that fault as its error, and a new
// evaluator replays the cells that succeeded, silenced, so the session
// keeps its definitions — the REPL's supervision, for the kernel.
type Supervised struct {
	start func() *exec.Cmd
	info  Info
	log   *slog.Logger

	mu  sync.Mutex
	cur Output // the running cell's, for what the evaluator writes to its own stdout and stderr

	// started is closed when the first evaluator is up (or failed to
	// start, with startErr): the kernel serves while it starts.
	started  chan struct{}
	startErr error

	child   *evaluatorProc
	cells   int
	journal []journaled
}

// NewSupervised starts an evaluator with start, which returns the command
// (it must serve ServeEvaluator on file descriptors 3, requests, and 4,
// events, and leave Stdout, Stderr and ExtraFiles unset). The evaluator
// starts in the background, so the kernel answers kernel_info and shows
// idle at once; the first cell waits for it.
func NewSupervised(start func() *exec.Cmd, info Info, log *slog.Logger) *Supervised {
	if log == nil {
		log = slog.Default()
	}
	s := &Supervised{start: start, info: info, log: log, started: make(chan struct{})}
	go func() {
		defer close(s.started)
		s.child, s.startErr = s.spawn()
	}()
	return s
}

// waitStarted waits for the first evaluator; with none, the next request
// starts one.
func (s *Supervised) waitStarted() {
	<-s.started
	if s.startErr != nil {
		s.log.Error("kernel: the evaluator did not start", "err", s.startErr)
		s.startErr = nil
	}
}

type evaluatorProc struct {
	cmd    *exec.Cmd
	req    *os.File
	enc    *json.Encoder
	events chan evalEvent // closed when the evaluator's event pipe ends
	done   chan struct{}  // closed when the process has ended
	code   int
	fault  *scripts.Fault
	err    error
}

// send writes a request; an error means the evaluator is gone.
func (c *evaluatorProc) send(r evalRequest) error { return c.enc.Encode(r) }

// ended waits for the process and says how it ended.
func (c *evaluatorProc) ended() error {
	<-c.done
	switch {
	case c.err != nil:
		return c.err
	case c.fault != nil:
		return c.fault
	}
	return fmt.Errorf("the evaluator exited with code %d", c.code)
}

func (c *evaluatorProc) stop() {
	c.req.Close()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// curWriter passes what the evaluator process writes to its own stdout or
// stderr (compiled code writing to the descriptors) to the running cell.
type curWriter struct {
	s    *Supervised
	name string
}

func (w curWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	o := w.s.cur
	w.s.mu.Unlock()
	if o != nil {
		o.Stream(w.name, string(p))
	}
	return len(p), nil
}

func (s *Supervised) spawn() (*evaluatorProc, error) {
	cmd := s.start()
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	cmd.ExtraFiles = []*os.File{reqR, evW}
	cmd.Stdout = curWriter{s, "stdout"}
	c := &evaluatorProc{cmd: cmd, req: reqW, enc: json.NewEncoder(reqW), events: make(chan evalEvent, 64), done: make(chan struct{})}
	go func() {
		c.code, c.fault, c.err = scripts.Supervise(cmd, curWriter{s, "stderr"})
		close(c.done)
	}()
	go func() {
		defer close(c.events)
		defer evR.Close()
		sc := bufio.NewScanner(evR)
		sc.Buffer(make([]byte, 64<<10), 1<<30)
		for sc.Scan() {
			var e evalEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				s.log.Error("kernel: bad event from the evaluator", "err", err)
				continue
			}
			c.events <- e
		}
	}()
	// The child holds its ends once it runs: ours must close so that its
	// end shows as EOF here.
	var ready bool
	select {
	case e, ok := <-c.events:
		ready = ok && e.Kind == "ready"
	case <-c.done:
	}
	reqR.Close()
	evW.Close()
	if !ready {
		reqW.Close()
		return nil, fmt.Errorf("evaluator did not start: %w", c.ended())
	}
	return c, nil
}

// restore starts a new evaluator and replays the journal into it. When
// the replay itself ends the evaluator (a replayed cell's timer that
// panics, say), the session cannot come back: it starts a fresh one and
// says so in the error.
func (s *Supervised) restore() (int, error) {
	c, err := s.spawn()
	if err != nil {
		return 0, err
	}
	s.child = c
	if len(s.journal) == 0 {
		return 0, nil
	}
	if c.send(evalRequest{Op: "replay", Journal: s.journal}) == nil {
		for e := range c.events {
			if e.Kind == "done" {
				return e.Replayed, nil
			}
		}
	}
	why := c.ended()
	s.journal = nil
	if s.child, err = s.spawn(); err != nil {
		return 0, fmt.Errorf("replaying the session ended the interpreter (%v), and a fresh one did not start: %w", why, err)
	}
	return 0, fmt.Errorf("replaying the session ended the interpreter (%v): this is a fresh session", why)
}

// Execute runs one cell in the evaluator.
func (s *Supervised) Execute(ctx context.Context, code string, out Output) (Bundle, error) {
	s.waitStarted()
	s.cells++
	cell := s.cells
	if c := s.child; c != nil {
		select {
		case <-c.done:
			// Something a cell left running (a timer, a goroutine) ended
			// the evaluator since. The last cell is the likeliest to have
			// started it, and replaying it would start it again: the
			// session comes back without it, and this cell runs there.
			why := c.ended()
			s.child = nil
			msg := fmt.Sprintf("workbench: the interpreter ended after the last cell: %v\n", why)
			if k := len(s.journal); k > 0 {
				msg += fmt.Sprintf("cell[%d] is not replayed: a timer or goroutine it started is the likeliest cause\n", s.journal[k-1].Cell)
				s.journal = s.journal[:k-1]
			}
			n, err := s.restore()
			if err != nil {
				msg += err.Error() + "\n"
			} else {
				msg += fmt.Sprintf("session restored: %d cells replayed\n", n)
			}
			out.Stream("stderr", msg)
		default:
		}
	}
	if s.child == nil {
		if _, err := s.restore(); err != nil {
			return nil, &ExecError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
		}
	}
	c := s.child
	s.mu.Lock()
	s.cur = out
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
	}()
	if err := c.send(evalRequest{Op: "execute", Cell: cell, Code: code}); err != nil {
		return nil, s.faulted(cell, c, false)
	}
	interrupted := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				return nil, s.faulted(cell, c, grace != nil)
			}
			switch e.Kind {
			case "stream":
				out.Stream(e.Name, e.Text)
			case "display":
				out.Display(e.Bundle, e.ID, e.Update)
			case "clear":
				out.Clear(e.Wait)
			case "input":
				v, err := out.Input(e.Prompt, e.Password)
				r := evalRequest{Op: "input_reply", Value: v}
				if err != nil {
					r.InputErr = err.Error()
				}
				c.send(r)
			case "done":
				if e.Error != nil {
					return nil, e.Error
				}
				s.journal = append(s.journal, journaled{Cell: cell, Code: code})
				return e.Bundle, nil
			}
		case <-interrupted:
			interrupted = nil
			c.send(evalRequest{Op: "interrupt"})
			grace = time.After(InterruptGrace)
		case <-grace:
			// The cell ignores the interrupt (compiled code in a loop):
			// end the evaluator; the session comes back from the journal.
			c.cmd.Process.Kill()
			grace = nil
		}
	}
}

// faulted reports a cell that ended the evaluator and restores the session.
func (s *Supervised) faulted(cell int, c *evaluatorProc, killed bool) error {
	why := c.ended()
	s.child = nil
	ee := &ExecError{Name: "Fault", Value: fmt.Sprintf("cell[%d]: the cell ended the interpreter: %v", cell, why)}
	if killed {
		ee = &ExecError{Name: "Interrupted", Value: fmt.Sprintf("cell[%d] did not stop within %v of the interrupt: the interpreter was restarted", cell, InterruptGrace)}
	}
	var fault *scripts.Fault
	if !errors.As(why, &fault) && !killed {
		s.log.Error("kernel: evaluator ended", "err", why)
	}
	n, err := s.restore()
	if err != nil {
		ee.Traceback = []string{ee.Value, err.Error()}
		return ee
	}
	ee.Traceback = []string{ee.Value, fmt.Sprintf("session restored: %d cells replayed", n)}
	return ee
}

// ask sends a request that answers with one done event (completion,
// inspection); with no evaluator it returns ok false.
func (s *Supervised) ask(r evalRequest) (evalEvent, bool) {
	s.waitStarted()
	c := s.child
	if c == nil {
		if _, err := s.restore(); err != nil {
			return evalEvent{}, false
		}
		c = s.child
	}
	if err := c.send(r); err != nil {
		return evalEvent{}, false
	}
	for e := range c.events {
		if e.Kind == "done" {
			return e, true
		}
	}
	return evalEvent{}, false
}

// Complete asks the evaluator's REPL.
func (s *Supervised) Complete(code string, cursor int) ([]string, int, int) {
	e, ok := s.ask(evalRequest{Op: "complete", Code: code, Cursor: cursor})
	if !ok {
		return nil, cursor, cursor
	}
	return e.Matches, e.Start, e.End
}

// Inspect asks the evaluator's REPL.
func (s *Supervised) Inspect(code string, cursor, detail int) (Bundle, bool) {
	e, ok := s.ask(evalRequest{Op: "inspect", Code: code, Cursor: cursor, Detail: detail})
	return e.Bundle, ok && e.Found
}

// IsComplete asks the evaluator.
func (s *Supervised) IsComplete(code string) (string, string) {
	e, ok := s.ask(evalRequest{Op: "is_complete", Code: code})
	if !ok {
		return "unknown", ""
	}
	return e.Status, e.Indent
}

// Restart ends the evaluator and starts a fresh one.
func (s *Supervised) Restart() error {
	s.waitStarted()
	if s.child != nil {
		s.child.stop()
		s.child = nil
	}
	s.journal, s.cells = nil, 0
	c, err := s.spawn()
	if err != nil {
		return err
	}
	s.child = c
	return nil
}

// Close ends the evaluator.
func (s *Supervised) Close() error {
	s.waitStarted()
	if s.child != nil {
		s.child.stop()
		s.child = nil
	}
	return nil
}

// Info describes the kernel.
func (s *Supervised) Info() Info { return s.info }

var _ io.Writer = curWriter{}
