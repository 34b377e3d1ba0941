package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"time"
)

// Protocol is the Jupyter messaging protocol version the kernel speaks.
const Protocol = "5.3"

// ConnectionInfo is the connection file Jupyter writes for a kernel.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var ci ConnectionInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return ci, fmt.Errorf("connection file: %w", err)
	}
	if err := json.Unmarshal(b, &ci); err != nil {
		return ci, fmt.Errorf("connection file %s: %w", path, err)
	}
	switch {
	case ci.Transport != "tcp":
		return ci, fmt.Errorf("connection file %s: transport %q: only tcp is supported", path, ci.Transport)
	case ci.Key != "" && ci.SignatureScheme != "hmac-sha256":
		return ci, fmt.Errorf("connection file %s: signature_scheme %q: only hmac-sha256 is supported", path, ci.SignatureScheme)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"shell_port", ci.ShellPort}, {"iopub_port", ci.IOPubPort}, {"stdin_port", ci.StdinPort},
		{"control_port", ci.ControlPort}, {"hb_port", ci.HBPort}} {
		if p.port <= 0 || p.port > 65535 {
			return ci, fmt.Errorf("connection file %s: %s %d is not a port", path, p.name, p.port)
		}
	}
	return ci, nil
}

func (ci ConnectionInfo) endpoint(port int) string {
	return fmt.Sprintf("%s://%s:%d", ci.Transport, ci.IP, port)
}

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one protocol message: routing identities, the four signed
// parts and any binary buffers.
type Message struct {
	Identities [][]byte
	Header     Header
	Parent     json.RawMessage // the parent's header, or {}
	Metadata   map[string]any
	Content    json.RawMessage
	Buffers    [][]byte
}

var delimiter = []byte("<IDS|MSG>")

// ErrBadSignature marks a message whose HMAC does not match.
var ErrBadSignature = errors.New("bad message signature")

// signer computes message signatures; a nil signer (empty key) signs with "".
type signer struct{ key []byte }

func (s signer) sign(parts ...[]byte) string {
	if len(s.key) == 0 {
		return ""
	}
	var m hash.Hash = hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// decode parses the frames of a received message and checks its signature.
func (s signer) decode(frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if len(frames)-i < 6 {
		return nil, fmt.Errorf("message of %d frames: no delimiter and four parts", len(frames))
	}
	m := &Message{Identities: frames[:i]}
	sig, header, parent, meta, content := frames[i+1], frames[i+2], frames[i+3], frames[i+4], frames[i+5]
	if len(s.key) > 0 {
		want := s.sign(header, parent, meta, content)
		if !hmac.Equal([]byte(want), sig) {
			return nil, ErrBadSignature
		}
	}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("message header: %w", err)
	}
	m.Parent = json.RawMessage(parent)
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &m.Metadata); err != nil {
			return nil, fmt.Errorf("message %s metadata: %w", m.Header.MsgType, err)
		}
	}
	m.Content = json.RawMessage(content)
	m.Buffers = frames[i+6:]
	return m, nil
}

// encode returns the frames of m, signed.
func (s signer) encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	parent := []byte(m.Parent)
	if len(parent) == 0 {
		parent = []byte("{}")
	}
	meta := []byte("{}")
	if len(m.Metadata) > 0 {
		if meta, err = json.Marshal(m.Metadata); err != nil {
			return nil, err
		}
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = []byte("{}")
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, []byte(s.sign(header, parent, meta, content)), header, parent, meta, content)
	return append(frames, m.Buffers...), nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }
