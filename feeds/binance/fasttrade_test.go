package binance

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"workbench/feeds"
	"workbench/internal/oracle"
)

// recordedTrades reads the recorded trade messages straight from the
// oracle files (this package's tests cannot use binancefake's reader).
func recordedTrades(t *testing.T) [][]byte {
	dir := oracle.Dir(t)
	var out [][]byte
	for _, f := range []string{"messages/binance_ws_2021-10-12_aggTrade.jsonl", "raw/binance/ws_messages_crypto-msg-parser.jsonl"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var rec struct {
				Msg json.RawMessage `json:"msg"`
				Raw string          `json:"raw"`
			}
			if err := json.Unmarshal(l, &rec); err != nil {
				t.Fatal(err)
			}
			m := []byte(rec.Raw)
			if rec.Msg != nil {
				m = rec.Msg
			}
			if bytes.Contains(m, []byte(`"e":"trade"`)) || bytes.Contains(m, []byte(`"e":"aggTrade"`)) {
				out = append(out, m)
			}
		}
	}
	for _, f := range []string{"raw/binance/ws_spot_aggTrade.json", "raw/binance/ws_spot_trade_ETHUSDT.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b) // pretty-printed, as recorded
	}
	return out
}

// TestFastTradeAgrees: the fast path takes every recorded trade message
// and, on them and on thousands of corruptions of them, never accepts
// what the general path rejects nor decodes it differently.
func TestFastTradeAgrees(t *testing.T) {
	msgs := recordedTrades(t)
	if len(msgs) < 5 {
		t.Fatalf("%d recorded trade messages", len(msgs))
	}
	d := NewDecoder()
	check := func(m []byte, mustTake bool) {
		var fast, slow feeds.Event
		took := d.fastTrade(m, 9, &fast)
		if mustTake && !took {
			t.Fatalf("fast path refused %s", m)
		}
		if !took {
			return
		}
		k, err := d.decodeGeneral(m, 9, &slow)
		if err != nil || k.Kind != MsgTrade || fast != slow {
			t.Fatalf("%q: fast %+v, general %+v (%v)", m, fast.Trade, slow.Trade, err)
		}
	}
	for _, m := range msgs {
		check(m, true)
		c := make([]byte, len(m))
		for i := range m {
			for _, b := range []byte{'"', '}', '{', ',', ':', 'x', '\\', ' ', '0', '-', '.', 'e', 0} {
				copy(c, m)
				c[i] = b
				check(c, false)
			}
			check(m[:i], false)
		}
	}
}
