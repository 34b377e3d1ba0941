// Package kernel is the Jupyter kernel: the messaging protocol (5.3) over
// ZeroMQ (github.com/go-zeromq/zmq4, pure Go), with every message's
// HMAC-SHA256 signature checked. It knows nothing of Go or markets: an
// Engine evaluates cells and renders values (scripts provides the one the
// workbench runs), so the wire protocol lives here and execution and
// display elsewhere, as in GoNB.
//
// Threads: each socket has a reader goroutine; shell requests run one at a
// time in Run's goroutine; control requests (interrupt, shutdown,
// kernel_info) are answered at once from the control reader, so an
// interrupt reaches a cell that is still running.
package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/go-zeromq/zmq4"
)

// Kernel is one running kernel.
type Kernel struct {
	ci  ConnectionInfo
	sig signer
	eng Engine
	log *slog.Logger

	shell, control, stdin, iopub, hb zmq4.Socket
	sendMu                           sync.Mutex // zmq4 sockets are not safe for concurrent sends

	session string
	shellQ  chan *Message
	inputQ  chan *Message
	stop    chan struct{}
	stopped sync.Once

	mu      sync.Mutex
	cancel  context.CancelFunc // the running cell's, or nil
	count   int                // execution count
	history []historyEntry
}

type historyEntry struct {
	count int
	code  string
}

// New binds the kernel's sockets as ci says.
func New(ci ConnectionInfo, eng Engine, log *slog.Logger) (*Kernel, error) {
	if log == nil {
		log = slog.Default()
	}
	ctx := context.Background()
	k := &Kernel{
		ci: ci, sig: signer{key: []byte(ci.Key)}, eng: eng, log: log,
		shell:   zmq4.NewRouter(ctx),
		control: zmq4.NewRouter(ctx),
		stdin:   zmq4.NewRouter(ctx),
		iopub:   zmq4.NewPub(ctx),
		hb:      zmq4.NewRep(ctx),
		session: newID(),
		shellQ:  make(chan *Message, 64),
		inputQ:  make(chan *Message, 1),
		stop:    make(chan struct{}),
	}
	for _, s := range []struct {
		name string
		sock zmq4.Socket
		port int
	}{{"shell", k.shell, ci.ShellPort}, {"control", k.control, ci.ControlPort}, {"stdin", k.stdin, ci.StdinPort},
		{"iopub", k.iopub, ci.IOPubPort}, {"hb", k.hb, ci.HBPort}} {
		if err := s.sock.Listen(ci.endpoint(s.port)); err != nil {
			k.closeSockets()
			return nil, fmt.Errorf("kernel %s socket on %s: %w", s.name, ci.endpoint(s.port), err)
		}
	}
	return k, nil
}

func (k *Kernel) closeSockets() {
	for _, s := range []zmq4.Socket{k.shell, k.control, k.stdin, k.iopub, k.hb} {
		s.Close()
	}
}

// Interrupt stops the running cell, if any (SIGINT and interrupt_request).
func (k *Kernel) Interrupt() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil {
		k.cancel()
	}
}

// Run serves until a shutdown_request or ctx ends.
func (k *Kernel) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	reader := func(name string, sock zmq4.Socket, handle func(*Message)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				raw, err := sock.Recv()
				if err != nil {
					select {
					case <-k.stop:
					default:
						if ctx.Err() == nil {
							k.log.Warn("kernel socket closed", "socket", name, "err", err)
						}
					}
					return
				}
				m, err := k.sig.decode(raw.Frames)
				if err != nil {
					// A message with a bad signature is not ours to answer.
					k.log.Warn("kernel dropped a message", "socket", name, "err", err)
					continue
				}
				handle(m)
			}
		}()
	}
	reader("shell", k.shell, func(m *Message) {
		select {
		case k.shellQ <- m:
		case <-k.stop:
		}
	})
	reader("control", k.control, k.handleControl)
	reader("stdin", k.stdin, func(m *Message) {
		if m.Header.MsgType == "input_reply" {
			select {
			case k.inputQ <- m:
			default:
				k.log.Warn("kernel: input_reply nobody asked for")
			}
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			msg, err := k.hb.Recv()
			if err != nil {
				return
			}
			if err := k.hb.Send(msg); err != nil {
				return
			}
		}
	}()
	k.publish(nil, "status", map[string]any{"execution_state": "starting"})
	k.publish(nil, "status", map[string]any{"execution_state": "idle"})

	defer func() {
		k.shutdown()
		k.closeSockets()
		wg.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.stop:
			return nil
		case m := <-k.shellQ:
			k.handleShell(m)
		}
	}
}

func (k *Kernel) shutdown() { k.stopped.Do(func() { close(k.stop) }) }

// reply sends a reply of msgType to m on sock.
func (k *Kernel) reply(sock zmq4.Socket, m *Message, msgType string, content any) {
	k.send(sock, m.Identities, m, msgType, content)
}

func (k *Kernel) send(sock zmq4.Socket, ids [][]byte, parent *Message, msgType string, content any) {
	c, err := json.Marshal(content)
	if err != nil {
		k.log.Error("kernel: cannot encode a message", "type", msgType, "err", err)
		return
	}
	out := &Message{
		Identities: ids,
		Header: Header{MsgID: newID(), Session: k.session, Username: "workbench", Date: now(),
			MsgType: msgType, Version: Protocol},
		Content: c,
	}
	if parent != nil {
		out.Parent, _ = json.Marshal(parent.Header)
	}
	frames, err := k.sig.encode(out)
	if err != nil {
		k.log.Error("kernel: cannot encode a message", "type", msgType, "err", err)
		return
	}
	k.sendMu.Lock()
	defer k.sendMu.Unlock()
	if err := sock.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		k.log.Warn("kernel: send failed", "type", msgType, "err", err)
	}
}

// publish sends msgType on iopub, as a child of parent.
func (k *Kernel) publish(parent *Message, msgType string, content any) {
	k.send(k.iopub, [][]byte{[]byte("kernel." + k.session + "." + msgType)}, parent, msgType, content)
}

func (k *Kernel) busy(m *Message) func() {
	k.publish(m, "status", map[string]any{"execution_state": "busy"})
	return func() { k.publish(m, "status", map[string]any{"execution_state": "idle"}) }
}

func (k *Kernel) handleControl(m *Message) {
	idle := k.busy(m)
	defer idle()
	switch m.Header.MsgType {
	case "interrupt_request":
		k.Interrupt()
		k.reply(k.control, m, "interrupt_reply", map[string]any{"status": "ok"})
	case "shutdown_request":
		var c struct {
			Restart bool `json:"restart"`
		}
		_ = json.Unmarshal(m.Content, &c)
		k.Interrupt()
		k.reply(k.control, m, "shutdown_reply", map[string]any{"status": "ok", "restart": c.Restart})
		k.shutdown()
	case "kernel_info_request":
		k.reply(k.control, m, "kernel_info_reply", k.kernelInfo())
	default:
		k.log.Info("kernel: unsupported control message", "type", m.Header.MsgType)
	}
}

func (k *Kernel) kernelInfo() map[string]any {
	info := k.eng.Info()
	links := info.HelpLinks
	if links == nil {
		links = []HelpLink{}
	}
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       Protocol,
		"implementation":         info.Implementation,
		"implementation_version": info.ImplementationVersion,
		"language_info": map[string]any{
			"name":            "go",
			"version":         info.LanguageVersion,
			"mimetype":        "text/x-go",
			"file_extension":  ".go",
			"pygments_lexer":  "go",
			"codemirror_mode": "go",
		},
		"banner":     info.Banner,
		"help_links": links,
	}
}

func (k *Kernel) handleShell(m *Message) {
	idle := k.busy(m)
	defer idle()
	switch m.Header.MsgType {
	case "execute_request":
		if failed := k.execute(m); failed {
			k.abortQueued()
		}
	case "kernel_info_request":
		k.reply(k.shell, m, "kernel_info_reply", k.kernelInfo())
	case "complete_request":
		var c struct {
			Code   string `json:"code"`
			Cursor int    `json:"cursor_pos"`
		}
		_ = json.Unmarshal(m.Content, &c)
		matches, start, end := k.eng.Complete(c.Code, c.Cursor)
		if matches == nil {
			matches = []string{}
		}
		k.reply(k.shell, m, "complete_reply", map[string]any{"status": "ok", "matches": matches,
			"cursor_start": start, "cursor_end": end, "metadata": map[string]any{}})
	case "inspect_request":
		var c struct {
			Code   string `json:"code"`
			Cursor int    `json:"cursor_pos"`
			Detail int    `json:"detail_level"`
		}
		_ = json.Unmarshal(m.Content, &c)
		b, found := k.eng.Inspect(c.Code, c.Cursor, c.Detail)
		if b == nil {
			b = Bundle{}
		}
		k.reply(k.shell, m, "inspect_reply", map[string]any{"status": "ok", "found": found, "data": b, "metadata": map[string]any{}})
	case "is_complete_request":
		var c struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(m.Content, &c)
		status, indent := k.eng.IsComplete(c.Code)
		content := map[string]any{"status": status}
		if status == "incomplete" {
			content["indent"] = indent
		}
		k.reply(k.shell, m, "is_complete_reply", content)
	case "history_request":
		k.reply(k.shell, m, "history_reply", map[string]any{"status": "ok", "history": k.historyReply(m)})
	case "comm_info_request":
		k.reply(k.shell, m, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	case "comm_open":
		// No comm targets: tell the front end the comm is closed.
		var c struct {
			CommID string `json:"comm_id"`
		}
		_ = json.Unmarshal(m.Content, &c)
		k.publish(m, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
	case "comm_msg", "comm_close":
	case "shutdown_request":
		// Older clients send it on shell.
		k.reply(k.shell, m, "shutdown_reply", map[string]any{"status": "ok", "restart": false})
		k.shutdown()
	default:
		k.log.Info("kernel: unsupported shell message", "type", m.Header.MsgType)
	}
}

func (k *Kernel) historyReply(m *Message) [][]any {
	var c struct {
		Output bool   `json:"output"`
		Access string `json:"hist_access_type"`
		N      int    `json:"n"`
		Start  int    `json:"start"`
		Stop   int    `json:"stop"`
	}
	_ = json.Unmarshal(m.Content, &c)
	k.mu.Lock()
	h := append([]historyEntry(nil), k.history...)
	k.mu.Unlock()
	switch c.Access {
	case "tail":
		if c.N > 0 && c.N < len(h) {
			h = h[len(h)-c.N:]
		}
	case "range":
		var sel []historyEntry
		for _, e := range h {
			if e.count >= c.Start && (c.Stop <= 0 || e.count < c.Stop) {
				sel = append(sel, e)
			}
		}
		h = sel
	}
	out := make([][]any, 0, len(h))
	for _, e := range h {
		// (session, line number, input); session 0 is this one.
		out = append(out, []any{0, e.count, e.code})
	}
	return out
}

// execute runs one execute_request; it reports whether the cell failed
// with stop_on_error set.
func (k *Kernel) execute(m *Message) (stop bool) {
	var c struct {
		Code         string `json:"code"`
		Silent       bool   `json:"silent"`
		StoreHistory *bool  `json:"store_history"`
		AllowStdin   bool   `json:"allow_stdin"`
		StopOnError  *bool  `json:"stop_on_error"`
	}
	if err := json.Unmarshal(m.Content, &c); err != nil {
		k.reply(k.shell, m, "execute_reply", map[string]any{"status": "error", "ename": "BadRequest",
			"evalue": err.Error(), "traceback": []string{}, "execution_count": k.count})
		return false
	}
	store := !c.Silent && (c.StoreHistory == nil || *c.StoreHistory)
	stopOnError := c.StopOnError == nil || *c.StopOnError
	k.mu.Lock()
	if store {
		k.count++
		k.history = append(k.history, historyEntry{k.count, c.Code})
	}
	count := k.count
	ctx, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.cancel = nil
		k.mu.Unlock()
		cancel()
	}()
	if !c.Silent {
		k.publish(m, "execute_input", map[string]any{"code": c.Code, "execution_count": count})
	}
	out := &cellOutput{k: k, parent: m, allowStdin: c.AllowStdin, silent: c.Silent}
	res, err := k.eng.Execute(ctx, c.Code, out)
	if err != nil {
		var ee *ExecError
		if !errors.As(err, &ee) {
			ee = &ExecError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
		}
		if ee.Traceback == nil {
			ee.Traceback = []string{ee.Value}
		}
		content := map[string]any{"ename": ee.Name, "evalue": ee.Value, "traceback": ee.Traceback}
		if !c.Silent {
			k.publish(m, "error", content)
		}
		content["status"] = "error"
		content["execution_count"] = count
		k.reply(k.shell, m, "execute_reply", content)
		return stopOnError
	}
	if res != nil && !c.Silent {
		k.publish(m, "execute_result", map[string]any{"execution_count": count, "data": res, "metadata": map[string]any{}})
	}
	k.reply(k.shell, m, "execute_reply", map[string]any{"status": "ok", "execution_count": count,
		"user_expressions": map[string]any{}, "payload": []any{}})
	return false
}

// abortQueued answers the execute requests already waiting behind a
// failed cell with status "aborted", as stop_on_error asks; other waiting
// requests are served.
func (k *Kernel) abortQueued() {
	for {
		select {
		case m := <-k.shellQ:
			if m.Header.MsgType != "execute_request" {
				k.handleShell(m)
				continue
			}
			idle := k.busy(m)
			k.reply(k.shell, m, "execute_reply", map[string]any{"status": "aborted", "execution_count": k.count})
			idle()
		default:
			return
		}
	}
}

// cellOutput sends a cell's output to iopub as it comes.
type cellOutput struct {
	k          *Kernel
	parent     *Message
	allowStdin bool
	silent     bool
}

func (o *cellOutput) Stream(name, text string) {
	if o.silent || text == "" {
		return
	}
	o.k.publish(o.parent, "stream", map[string]any{"name": name, "text": text})
}

func (o *cellOutput) Display(b Bundle, id string, update bool) {
	if o.silent {
		return
	}
	content := map[string]any{"data": b, "metadata": map[string]any{}, "transient": map[string]any{}}
	if id != "" {
		content["transient"] = map[string]any{"display_id": id}
	}
	kind := "display_data"
	if update && id != "" {
		kind = "update_display_data"
	}
	o.k.publish(o.parent, kind, content)
}

func (o *cellOutput) Clear(wait bool) {
	if !o.silent {
		o.k.publish(o.parent, "clear_output", map[string]any{"wait": wait})
	}
}

// ErrNoStdin is returned by Input when the request did not allow stdin.
var ErrNoStdin = errors.New("this cell's request does not allow input (allow_stdin is false)")

func (o *cellOutput) Input(prompt string, password bool) (string, error) {
	if !o.allowStdin {
		return "", ErrNoStdin
	}
	k := o.k
	k.send(k.stdin, o.parent.Identities, o.parent, "input_request", map[string]any{"prompt": prompt, "password": password})
	select {
	case r := <-k.inputQ:
		var c struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(r.Content, &c); err != nil {
			return "", fmt.Errorf("input_reply: %w", err)
		}
		return c.Value, nil
	case <-k.stop:
		return "", errors.New("kernel shutting down")
	}
}
