package kernel

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConnectionFileErrors(t *testing.T) {
	dir := t.TempDir()
	good := `{"transport":"tcp","ip":"127.0.0.1","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"key":"k","signature_scheme":"hmac-sha256"}`
	for name, c := range map[string]struct{ src, want string }{
		"good":      {good, ""},
		"notjson":   {"{", "notjson.json"},
		"ipc":       {strings.Replace(good, `"tcp"`, `"ipc"`, 1), `transport "ipc"`},
		"md5":       {strings.Replace(good, "hmac-sha256", "hmac-md5", 1), `signature_scheme "hmac-md5"`},
		"zero port": {strings.Replace(good, `"hb_port":5`, `"hb_port":0`, 1), "hb_port 0 is not a port"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "")+".json")
		if err := os.WriteFile(p, []byte(c.src), 0o600); err != nil {
			t.Fatal(err)
		}
		ci, err := ReadConnectionFile(p)
		switch {
		case c.want == "" && (err != nil || ci.ControlPort != 4 || ci.Key != "k"):
			t.Errorf("%s: %+v, %v", name, ci, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if _, err := ReadConnectionFile(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("absent file read")
	}
}

// A message jupyter_client's Session signs decodes here, and one signed
// with another key is refused; what the kernel signs, Session verifies.
func TestSignaturesAgreeWithJupyterClient(t *testing.T) {
	const py = "/usr/bin/python3"
	script := `
import json, sys
from jupyter_client.session import Session
s = Session(key=sys.argv[1].encode(), username="t")
m = s.msg("kernel_info_request", {"x": 1})
parts = s.serialize(m)
if len(sys.argv) > 2:
    frames = [bytes.fromhex(h) for h in json.loads(sys.stdin.read())]
    idx = frames.index(b"<IDS|MSG>")
    out = s.deserialize(frames[idx+1:])
    print(json.dumps({"type": out["msg_type"], "content": out["content"]}))
else:
    print(json.dumps([p.hex() for p in parts]))
`
	if out, err := exec.Command(py, "-c", "import jupyter_client").CombinedOutput(); err != nil {
		msg := py + " lacks jupyter_client: " + string(out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out, err := exec.Command(py, "-c", script, "secret").Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var hexes []string
	if err := json.Unmarshal(out, &hexes); err != nil {
		t.Fatal(err)
	}
	frames := make([][]byte, len(hexes))
	for i, h := range hexes {
		frames[i] = mustHex(t, h)
	}
	m, err := signer{key: []byte("secret")}.decode(frames)
	if err != nil || m.Header.MsgType != "kernel_info_request" || string(m.Content) != `{"x":1}` && string(m.Content) != `{"x": 1}` {
		t.Fatalf("decode: %+v %v", m, err)
	}
	if _, err := (signer{key: []byte("other")}).decode(frames); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}

	reply := &Message{Header: Header{MsgID: "1", Session: "s", Username: "k", Date: now(), MsgType: "status", Version: Protocol},
		Content: json.RawMessage(`{"execution_state":"idle"}`)}
	enc, err := signer{key: []byte("secret")}.encode(reply)
	if err != nil {
		t.Fatal(err)
	}
	hexOut := make([]string, len(enc))
	for i, f := range enc {
		hexOut[i] = encodeHex(f)
	}
	in, _ := json.Marshal(hexOut)
	cmd := exec.Command(py, "-c", script, "secret", "verify")
	cmd.Stdin = strings.NewReader(string(in))
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"type": "status"`) || !strings.Contains(string(out), `"idle"`) {
		t.Fatalf("Session.deserialize of the kernel's message: %v\n%s", err, out)
	}
}

func mustHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeHex(b []byte) string { return hex.EncodeToString(b) }
